using Engine.Cli;
using Engine.Kernels.Devices;
using Engine.Models.Checkpoints;
using Engine.Models.Data;
using Engine.Optim;
using Xunit;

namespace Engine.Tests.Cli;

public sealed class ErrorReporterTests
{
    [Fact]
    public void KnownFailuresPrintTheirMessageOnOneLine()
    {
        Assert.Equal(("engine: error: Data file 'x' is empty.", ExitCodes.Error), ErrorReporter.Describe(new DataException("Data file 'x' is empty.")));
        Assert.Equal("engine: error: bad ckpt", ErrorReporter.Describe(new CheckpointException("bad ckpt")).Line);
        Assert.Equal("engine: error: no device 'gpu'", ErrorReporter.Describe(new ArgumentException("no device 'gpu'", "id")).Line);
        Assert.Equal("engine: error: SPEC-GF graph rebuild: NaN", ErrorReporter.Describe(new OptimizerDivergedException("SPEC-GF graph rebuild: NaN")).Line);
    }

    [Fact]
    public void MultiLineMessagesKeepTheirFirstLine()
    {
        var (line, code) = ErrorReporter.Describe(new KernelBuildException("gemm.cl", "status -11", "gemm.cl:3: error: x\ngemm.cl:9: error: y"));
        Assert.Equal(ExitCodes.Error, code);
        Assert.DoesNotContain('\n', line);
        Assert.StartsWith("engine: error: gemm.cl: kernel build failed: status -11", line);
    }

    [Fact]
    public void UnexpectedFailuresNameTheTypeAndHowToGetTheStackTrace()
    {
        var (line, code) = ErrorReporter.Describe(new InvalidOperationException("boom"));
        Assert.Equal(ExitCodes.Error, code);
        Assert.StartsWith("engine: error: unexpected InvalidOperationException: boom", line);
        if (!ErrorReporter.DebugEnabled) Assert.EndsWith("(run with ENGINE_DEBUG=1 for the stack trace)", line);
    }

    [Fact]
    public void CancellationIsAnInterruptWithExitCode130()
    {
        Assert.Equal(("engine: interrupted", 130), ErrorReporter.Describe(new OperationCanceledException()));
    }
}
