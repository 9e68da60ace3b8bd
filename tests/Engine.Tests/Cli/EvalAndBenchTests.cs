using System.Globalization;
using System.Text.Json;
using Engine.Models.Data;
using Xunit;

namespace Engine.Tests.Cli;

public sealed class EvalAndBenchTests
{
    [Fact]
    public void EvalReportsAFiniteLossOfTheCheckpointOnBothSplits()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 10)).ExitCode);

        var val = CliRun.Of("eval", "--checkpoint", outDir);
        Assert.True(val.ExitCode == 0, val.Error);
        Assert.StartsWith("val loss ", val.Out);
        Assert.Contains($"checkpoint {Path.Combine(outDir, "step-0000010")} (step 10)", val.Out);
        double loss = double.Parse(val.Out.Split(' ')[2], CultureInfo.InvariantCulture);
        // A 46-symbol alphabet: an untrained model sits near ln(46) = 3.83; the loss is a real cross-entropy.
        Assert.InRange(loss, 1.0, 5.0);

        // "val" scores the last 10% of the tokens (399 predictions of 400), "all" every one of them.
        using var text = new TempDirectory();
        var excerpt = text.File("excerpt.txt", GeneratedCorpus.Create().Text[..4000]);
        var all = CliRun.Of("eval", "--checkpoint", Path.Combine(outDir, "step-0000010.safetensors"), "--data", excerpt, "--split", "all");
        Assert.True(all.ExitCode == 0, all.Error);
        Assert.StartsWith("all loss ", all.Out);
        Assert.Equal(3999, Tokens(all.Out));
        Assert.Equal(399, Tokens(CliRun.Of("eval", "--checkpoint", outDir, "--data", excerpt).Out));

        var small = text.File("small.txt", "the king sees the queen.\n");
        var exact = CliRun.Of("eval", "--checkpoint", outDir, "--data", small, "--split", "all");
        Assert.True(exact.ExitCode == 0, exact.Error);
        Assert.Contains("over 24 tokens of " + small, exact.Out); // 25 characters, 24 predictions
    }

    private static long Tokens(string line) =>
        long.Parse(line.Split(" over ")[1].Split(' ')[0], NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    [Fact]
    public void EvalFlagsOutOfRangeAreNamed()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 5)).ExitCode);
        CliRun.Of("eval", "--checkpoint", outDir, "--batch-size", "0").SingleErrorLine("--batch-size must be > 0");
        CliRun.Of("eval", "--checkpoint", outDir, "--device", "nope").SingleErrorLine("no device 'nope'");
        Assert.Equal(2, CliRun.Of("eval", "--checkpoint", outDir, "--split", "test").ExitCode);
    }

    [Fact]
    public void BenchPrintsTrainStepAsABenchRecord()
    {
        var run = CliRun.Of("bench", "--quick", "--warmup", "1", "--steps", "3");
        Assert.True(run.ExitCode == 0, run.Error);
        var records = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var step = Assert.Single(records, r => r.GetProperty("name").GetString() == "train_step");
        Assert.Equal("cpu", step.GetProperty("backend").GetString());
        Assert.StartsWith("T: layers 4, heads 4, width 128, block 64, batch 12", step.GetProperty("shape").GetString());
        Assert.Equal("ms/iter", step.GetProperty("unit").GetString());
        Assert.True(step.GetProperty("value").GetDouble() > 0);
    }
}
