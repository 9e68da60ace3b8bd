using Engine.Kernels.OpenCl;
using Xunit;
using Xunit.Abstractions;

namespace Engine.Tests.OpenCl;

/// <summary>One OpenCL device shared by the tests of the "OpenCl" collection (contexts and program builds are slow on PoCL).</summary>
public sealed class OpenClFixture : IDisposable
{
    public OpenClFixture()
    {
        if (OpenClPlatforms.AbsenceReason is null)
            Device = new OpenClDevice(OpenClPlatforms.Devices[0]);
    }

    /// <summary>Null when this machine has no OpenCL device (<see cref="OpenClPlatforms.AbsenceReason"/> says why).</summary>
    public OpenClDevice? Device { get; }

    /// <summary>
    /// The shared device, or null after writing why it is absent to the test output. With CI=true an absent
    /// platform fails the test instead: CI machines must run the OpenCL backend for real.
    /// </summary>
    public OpenClDevice? Require(ITestOutputHelper output) => Available(output) ? Device : null;

    public static bool Available(ITestOutputHelper output)
    {
        var reason = OpenClPlatforms.AbsenceReason;
        if (reason is null) return true;
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Assert.Fail($"OpenCL is required in CI: {reason}");
        output.WriteLine($"skipped: {reason}");
        return false;
    }

    public void Dispose() => Device?.Dispose();
}

[CollectionDefinition("OpenCl")]
public sealed class OpenClCollection : ICollectionFixture<OpenClFixture>;
