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
    public void HelpListsTheCommands()
    {
        var run = CliRun.Of("--help");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("devices", run.Out);
    }
}
