using Xunit;

namespace Engine.Tests.Cli;

public sealed class CommandLineTests
{
    [Fact]
    public void UnknownCommandIsOneUsageLine()
    {
        var run = CliRun.Of("trian");
        Assert.Equal(2, run.ExitCode);
        run.SingleErrorLine("'trian'", "engine --help");
    }

    [Fact]
    public void UnknownFlagNamesTheCommand()
    {
        var run = CliRun.Of("devices", "--fast");
        Assert.Equal(2, run.ExitCode);
        run.SingleErrorLine("'--fast'", "engine devices --help");
    }

    [Fact]
    public void AValueOutsideAFlagsChoicesIsOneLineListingThem()
    {
        // The parser's message puts each allowed value on its own line.
        var run = CliRun.Of("eval", "--checkpoint", "x", "--split", "half");
        Assert.Equal(2, run.ExitCode);
        run.SingleErrorLine("'half'", "'all'", "'val'", "engine eval --help");
    }

    [Fact]
    public void HelpListsTheCommands()
    {
        var run = CliRun.Of("--help");
        Assert.Equal(0, run.ExitCode);
        foreach (var command in new[] { "train", "sample", "eval", "devices", "bench", "profile", "compare" })
            Assert.Contains(command, run.Out);
        Assert.Contains("on cpu, OpenCL or CUDA", run.Out);
    }
}
