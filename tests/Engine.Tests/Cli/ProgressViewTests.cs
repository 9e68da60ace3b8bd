using Engine.Cli;
using Engine.Cli.Output;
using Engine.Models.Training;
using Xunit;

namespace Engine.Tests.Cli;

public sealed class ProgressViewTests
{
    private static readonly TrainProgress Metrics = new(30, 110, 2.34567, 2.5, 1e-3, 0.5, 12345, 10.4, TimeSpan.FromSeconds(20));

    [Fact]
    public void PlainLinesCarryStepLossRateAndEta()
    {
        var output = new StringWriter();
        var view = ProgressView.For(new CliSession(output, TextWriter.Null, IsTerminal: false, CancellationToken.None));
        int result = view.Run(10, 110, sink =>
        {
            sink.Note("resumed at step 10");
            sink.Step(Metrics);
            return 7;
        });
        Assert.Equal(7, result);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("resumed at step 10", lines[0]);
        // 20 steps took 20 s, 80 remain: ETA 1m20s.
        Assert.Equal("step 30/110  loss 2.3457  val 2.5000  lr 1.00e-03  |g| 0.500  12,345 tok/s  ETA 1m20s", lines[1]);
    }

    [Fact]
    public void TerminalViewRunsTheBodyAndShowsTheSteps()
    {
        var output = new StringWriter();
        var view = ProgressView.For(new CliSession(output, TextWriter.Null, IsTerminal: true, CancellationToken.None));
        Assert.Equal(3, view.Run(0, 110, sink => { sink.Step(Metrics); return 3; }));
        Assert.Contains("step 30/110", output.ToString());
    }

    [Theory]
    [InlineData(45, "45s")]
    [InlineData(187, "3m07s")]
    [InlineData(7500, "2h05m")]
    public void DurationsAreCompact(int seconds, string expected) =>
        Assert.Equal(expected, ProgressView.FormatDuration(TimeSpan.FromSeconds(seconds)));
}
