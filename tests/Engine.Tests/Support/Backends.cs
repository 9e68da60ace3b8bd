using System.Collections.Concurrent;
using Engine.Kernels.Cpu;
using Engine.Kernels.Devices;
using Xunit;

namespace Engine.Tests.Support;

/// <summary>
/// The backends every op test runs on, by name. Each device is created once and shared by the whole test run
/// (creating a GPU context per test would dominate the run time). A new backend is one line in <see cref="Factories"/>.
/// </summary>
public static class Backends
{
    private static readonly (string Name, Func<ComputeDevice> Create)[] Factories =
    [
        ("cpu", () => new CpuDevice()),
        ("opencl", () => DeviceRegistry.Open("opencl")),
        ("cuda", () => DeviceRegistry.Open("cuda")),
    ];

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
            foreach (var (name, _) in Factories)
                if (Required(name) || AbsenceReason(name) is null) names.Add(name);
            return names;
        }
    }

    public static ComputeDevice Get(string name) => Devices.GetOrAdd(name, _ => new Lazy<ComputeDevice>(Factory(name))).Value;

    /// <summary>A device of its own (the caller disposes it), for tests that count what happens on it.</summary>
    public static ComputeDevice OpenFresh(string name) => DeviceRegistry.OpenNew(name);

    private static Func<ComputeDevice> Factory(string name) =>
        Array.Find(Factories, f => f.Name == name).Create
        ?? throw new ArgumentException($"unknown backend '{name}'; known: {string.Join(", ", Factories.Select(f => f.Name))}", nameof(name));
}
