using System.Collections.Concurrent;
using Engine.Kernels.Cpu;
using Engine.Kernels.Devices;
using Xunit;

namespace Engine.Tests.Support;

/// <summary>
/// The backends every op test runs on, by name. Each device is created once and shared by the whole test run
/// (creating a GPU context per test would dominate the run time). A new backend is one entry in <see cref="Known"/>.
/// "opencl" is the first OpenCL device unless ENGINE_TEST_OPENCL names another (e.g. opencl:1, a GPU beside PoCL).
/// </summary>
public static class Backends
{
    private static readonly string[] Known = ["cpu", "opencl", "cuda"];

    /// <summary>
    /// A backend whose runtime is missing on this machine is left out of <see cref="Names"/> (its test cases do not
    /// exist), unless it is required here, where it stays in so that opening it fails the run with the reason.
    /// </summary>
    private static string? AbsenceReason(string name) => name switch
    {
        "opencl" => DeviceRegistry.OpenClAbsenceReason,
        "cuda" => DeviceRegistry.CudaAbsenceReason,
        _ => null,
    };

    /// <summary>
    /// OpenCL is required under CI=true (PoCL is installed there); CUDA only under ENGINE_REQUIRE_CUDA=1, on a machine
    /// with an NVIDIA GPU, since CI has none.
    /// </summary>
    private static bool Required(string name) => name switch
    {
        "opencl" => IsSet("CI", "true"),
        "cuda" => IsSet("ENGINE_REQUIRE_CUDA", "1"),
        _ => true,
    };

    private static bool IsSet(string variable, string value) =>
        string.Equals(Environment.GetEnvironmentVariable(variable), value, StringComparison.OrdinalIgnoreCase);

    private static readonly ConcurrentDictionary<string, Lazy<ComputeDevice>> Devices = new();

    /// <summary>Backend names for [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))].</summary>
    public static TheoryData<string> Names
    {
        get
        {
            var names = new TheoryData<string>();
            foreach (var name in Known)
                if (Required(name) || AbsenceReason(name) is null) names.Add(name);
            return names;
        }
    }

    public static ComputeDevice Get(string name) =>
        Devices.GetOrAdd(name, n => new Lazy<ComputeDevice>(() => n == "cpu" ? new CpuDevice() : DeviceRegistry.Open(DeviceId(n)))).Value;

    /// <summary>A device of its own (the caller disposes it), for tests that count what happens on it.</summary>
    public static ComputeDevice OpenFresh(string name) => DeviceRegistry.OpenNew(DeviceId(name));

    private static string DeviceId(string name)
    {
        if (!Known.Contains(name))
            throw new ArgumentException($"unknown backend '{name}'; known: {string.Join(", ", Known)}", nameof(name));
        return name == "opencl" && Environment.GetEnvironmentVariable("ENGINE_TEST_OPENCL") is { Length: > 0 } id ? id : name;
    }
}
