using Engine.Tests.Cli;
using Xunit;

namespace Engine.Tests.Methods;

/// <summary>Bad method flags end in one "engine: error:" line naming the flag.</summary>
public sealed class MethodFlagTests
{
    [Theory]
    [InlineData(new[] { "--optim", "lion" }, "--optim must be adamw, sgd, cgfm, sgg, spectral or muon (got 'lion')")]
    [InlineData(new[] { "--cgfm-step", "half" }, "--cgfm-step must be r, l or one (got 'half')")]
    [InlineData(new[] { "--cgfm-refresh", "0" }, "--cgfm-refresh must be >= 1")]
    [InlineData(new[] { "--cgfm-basis", "svd" }, "--cgfm-basis must be exact or randomized (got 'svd')")]
    [InlineData(new[] { "--sgg-alpha", "1.5" }, "--sgg-alpha must be in [0, 1]")]
    [InlineData(new[] { "--sgg-every", "0" }, "--sgg-every must be >= 1")]
    [InlineData(new[] { "--sgg-source-precision", "fp16" }, "--sgg-source-precision must be fp32 or bf16 (got 'fp16')")]
    [InlineData(new[] { "--spectral-graph", "tokens" }, "--spectral-graph must be weights or gradients")]
    [InlineData(new[] { "--spectral-laplacian", "rw" }, "--spectral-laplacian must be sym or comb")]
    [InlineData(new[] { "--spectral-tau", "0" }, "--spectral-tau must be > 0")]
    [InlineData(new[] { "--muon-momentum", "1" }, "--muon-momentum must be in [0, 1)")]
    [InlineData(new[] { "--muon-scale", "big" }, "--muon-scale must be shape or adamw (got 'big')")]
    [InlineData(new[] { "--base-optim", "lion" }, "--base-optim must be adamw or sgd (got 'lion')")]
    [InlineData(new[] { "--optim", "sgg", "--base-optim", "sgd", "--momentum", "0" }, "--optim sgg --base-optim sgd needs --momentum > 0")]
    [InlineData(new[] { "--optim", "sgd", "--nesterov", "true", "--momentum", "0" }, "--nesterov needs --momentum > 0")]
    [InlineData(new[] { "--sgg-source-weight", "-1" }, "--sgg-source-weight must be >= 0")]
    [InlineData(new[] { "--sgg-form", "c" }, "--sgg-form must be b or a (got 'c')")]
    [InlineData(new[] { "--sgg-a-c-tau", "0" }, "--sgg-a-c-tau must be > 0")]
    [InlineData(new[] { "--sgg-a-beta", "-1" }, "--sgg-a-beta must be >= 0")]
    [InlineData(new[] { "--optim", "sgg", "--sgg-form", "a", "--sgg-direction", "support" }, "--sgg-direction support is for form B")]
    [InlineData(new[] { "--optim", "sgg", "--sgg-form", "a", "--sgg-every", "50" }, "--sgg-every is a setting of SGG form B; with --sgg-form a it does nothing")]
    [InlineData(new[] { "--optim", "sgg", "--sgg-form", "a", "--sgg-projection", "false" }, "--sgg-projection is a setting of SGG form B; with --sgg-form a it does nothing")]
    [InlineData(new[] { "--optim", "sgg", "--sgg-form", "a", "--sgg-alpha", "0.9" }, "--sgg-alpha is a setting of SGG form B")]
    [InlineData(new[] { "--optim", "sgg", "--sgg-form", "a", "--base-optim", "sgd", "--momentum", "0" }, "--sgg-form a --base-optim sgd needs --momentum > 0")]
    [InlineData(new[] { "--sgg-direction", "source" }, "--sgg-direction must be momentum or support (got 'source')")]
    [InlineData(new[] { "--sgg-support-blocks", "0" }, "--sgg-support-blocks must be >= 1")]
    [InlineData(new[] { "--spectral-placement", "weights" }, "--spectral-placement must be gradient or update (got 'weights')")]
    [InlineData(new[] { "--spectral-mode", "fast" }, "--spectral-mode must be auto, exact or chebyshev (got 'fast')")]
    [InlineData(new[] { "--spectral-order", "0" }, "--spectral-order must be >= 1 (got 0; for the exact filter use --spectral-mode exact)")]
    [InlineData(new[] { "--spectral-reference", "init" }, "--spectral-reference must be auto, zero or start (got 'init')")]
    [InlineData(new[] { "--spectral-ema", "1" }, "--spectral-ema must be in [0, 1)")]
    public void BadMethodSettingsNameTheFlag(string[] flags, string fragment)
    {
        using var dir = new TempDirectory();
        var run = CliRun.Of(TinyRun.Args(Path.Combine(dir.Path, "run"), 5, flags));
        Assert.Equal(1, run.ExitCode);
        run.SingleErrorLine(fragment);
    }

    [Fact]
    public void ABooleanFlagOfTheWrongTypeIsNamed() =>
        CliRun.Of("train", "--muon-nesterov", "maybe").SingleErrorLine("--muon-nesterov must be true or false", "got 'maybe'");

    [Fact]
    public void AMissingSourceFileIsNamed()
    {
        using var dir = new TempDirectory();
        var missing = Path.Combine(dir.Path, "source.txt");
        CliRun.Of(TinyRun.Args(Path.Combine(dir.Path, "run"), 5, "--optim", "sgg", "--source", missing)).SingleErrorLine(missing);
    }
}
