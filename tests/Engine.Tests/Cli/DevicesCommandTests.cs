using Engine.Kernels.Devices;
using Xunit;

namespace Engine.Tests.Cli;

public sealed class DevicesCommandTests
{
    [Fact]
    public void ListsCpuAndEveryOpenClDeviceOrWhyOpenClIsAbsent()
    {
        var run = CliRun.Of("devices");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("cpu\tcpu\t", lines[0]);
        Assert.Contains(" GiB", lines[0]);
        if (DeviceRegistry.OpenClAbsenceReason is { } reason)
            Assert.Contains(lines, l => l == $"opencl\tabsent\t{reason}");
        else
            Assert.Contains(lines, l => l.StartsWith("opencl:0\topencl\t", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("cuda\tabsent\t", StringComparison.Ordinal) || l.StartsWith("cuda:0\tcuda", StringComparison.Ordinal));
    }

    [Fact]
    public void TerminalOutputIsATable()
    {
        var output = new StringWriter();
        int code = Engine.Cli.EngineProgram.Run(["devices"], new Engine.Cli.CliSession(output, TextWriter.Null, IsTerminal: true, CancellationToken.None));
        Assert.Equal(0, code);
        Assert.Contains("memory", output.ToString());
        Assert.Contains("cpu", output.ToString());
    }
}
