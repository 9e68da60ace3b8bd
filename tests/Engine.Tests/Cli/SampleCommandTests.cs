using Xunit;

namespace Engine.Tests.Cli;

public sealed class SampleCommandTests
{
    [Fact]
    public void SamplesContinueThePromptAndRepeatWithTheSameSeed()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 10)).ExitCode);

        string[] args = ["sample", "--checkpoint", outDir, "--prompt", "The king", "--length", "40", "--temperature", "0.9", "--top-k", "10", "--seed", "7"];
        var first = CliRun.Of(args);
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Equal($"engine: sampling from checkpoint {Path.Combine(outDir, "step-0000010")} (step 10)", Assert.Single(first.ErrorLines));
        var text = first.Out.TrimEnd('\n');
        Assert.StartsWith("The king", text);
        Assert.Equal("The king".Length + 40, text.Length); // a character tokenizer: one character per token
        Assert.Equal(first.Out, CliRun.Of(args).Out);
        var otherSeed = CliRun.Of([.. args[..^1], "8"]);
        Assert.NotEqual(first.Out, otherSeed.Out);
    }

    [Fact]
    public void GreedySamplingFromACheckpointFileIsDeterministic()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 10)).ExitCode);
        var file = Path.Combine(outDir, "step-0000010.json");
        var a = CliRun.Of("sample", "--checkpoint", file, "--length", "20", "--temperature", "0", "--seed", "1");
        var b = CliRun.Of("sample", "--checkpoint", file, "--length", "20", "--temperature", "0", "--seed", "2");
        Assert.True(a.ExitCode == 0, a.Error);
        Assert.Equal(a.Out, b.Out);
    }

    [Fact]
    public void BadSampleInputIsNamed()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 5)).ExitCode);
        CliRun.Of("sample", "--checkpoint", outDir, "--length", "-1").SingleErrorLine("--length must be >= 0");
        CliRun.Of("sample", "--checkpoint", outDir, "--temperature", "-0.5").SingleErrorLine("--temperature");
        CliRun.Of("sample", "--checkpoint", outDir, "--top-k", "-2").SingleErrorLine("--top-k must be >= 0");
        CliRun.Of("sample", "--checkpoint", outDir, "--prompt", "Zq#").SingleErrorLine("--prompt", "'Z'");
        CliRun.Of("sample", "--checkpoint", outDir, "--device", "cuda:99").SingleErrorLine("no device 'cuda:99'");
        CliRun.Of("sample", "--checkpoint", Path.Combine(dir.Path, "nothing")).SingleErrorLine("not found");
        Assert.Equal(2, CliRun.Of("sample", "--checkpoint", outDir, "--length", "ten").ExitCode);
    }

    [Fact]
    public void CtrlCStopsSamplingWithExit130()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 5)).ExitCode);
        using var interrupt = new CancellationTokenSource();
        interrupt.Cancel();
        var run = CliRun.Of(interrupt.Token, "sample", "--checkpoint", outDir, "--length", "50");
        Assert.Equal(130, run.ExitCode);
        Assert.Equal("engine: interrupted", run.ErrorLines[^1]);
    }
}
