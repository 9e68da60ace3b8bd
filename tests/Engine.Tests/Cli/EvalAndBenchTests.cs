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

        // A shorter context scores the same tokens in shorter windows: each prediction sees less text.
        const int block = TinyRun.BlockSize;
        Assert.Contains($"(context {block})", all.Out);
        var shortContext = CliRun.Of("eval", "--checkpoint", outDir, "--data", excerpt, "--split", "all", "--context", "2");
        Assert.True(shortContext.ExitCode == 0, shortContext.Error);
        Assert.Contains("(context 2)", shortContext.Out);
        Assert.Equal(3999, Tokens(shortContext.Out));
        Assert.NotEqual(all.Out.Split(' ')[2], shortContext.Out.Split(' ')[2]);
    }

    [Fact]
    public void EvalOfARunWithAValidationFileScoresAllOfThatFile()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        var text = GeneratedCorpus.Create().Text;
        var train = dir.File("train.txt", text[..3000]);
        var val = dir.File("val.txt", text[3000..3500]);
        var run = CliRun.Of(TinyRun.Args(outDir, 10, "--data", train, "--val-data", val));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains($"data: {train}, validation: {val}", run.Out);

        var eval = CliRun.Of("eval", "--checkpoint", outDir);
        Assert.True(eval.ExitCode == 0, eval.Error);
        Assert.StartsWith("val loss ", eval.Out);
        Assert.Contains($"over 499 tokens of {val} (", eval.Out);
        // --split all without --data scores the whole training text, as before.
        Assert.Contains($"over 2,999 tokens of {train} (", CliRun.Of("eval", "--checkpoint", outDir, "--split", "all").Out);
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
        CliRun.Of("eval", "--checkpoint", outDir, "--context", "0").SingleErrorLine("--context must be > 0");
        const int block = TinyRun.BlockSize;
        CliRun.Of("eval", "--checkpoint", outDir, "--context", $"{block + 1}").SingleErrorLine($"--context {block + 1} exceeds the model's block size {block}", "step-0000005");
        CliRun.Of("eval", "--checkpoint", outDir, "--device", "nope").SingleErrorLine("no device 'nope'");
        Assert.Equal(2, CliRun.Of("eval", "--checkpoint", outDir, "--split", "test").ExitCode);
    }

    [Fact]
    public void BenchPrintsTrainStepAsABenchRecord()
    {
        var run = CliRun.Of("bench", "--quick", "--what", "train", "--warmup", "1", "--steps", "3");
        Assert.True(run.ExitCode == 0, run.Error);
        var records = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var step = Assert.Single(records, r => r.GetProperty("name").GetString() == "train_step");
        Assert.Equal("cpu", step.GetProperty("backend").GetString());
        Assert.StartsWith("T: layers 4, heads 4, width 128, block 64, batch 12", step.GetProperty("shape").GetString());
        Assert.Equal("ms/iter", step.GetProperty("unit").GetString());
        Assert.True(step.GetProperty("value").GetDouble() > 0);
    }

    [Fact]
    public void BenchPrintsEveryChainsOptimizerStepInBothLayouts()
    {
        // 10,000 parameters: one [100, 100] matrix, then 100 [100, 1] (every method's per-matrix work on a 1-column edge case).
        var run = CliRun.Of("bench", "--quick", "--what", "optim", "--params", "10000");
        Assert.True(run.ExitCode == 0, run.Error);
        var records = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(records, r => Assert.Equal("optim_step", r.GetProperty("name").GetString()));
        foreach (var chain in new[] { "adamw", "adamw_noclip", "sgd_momentum", "cgfm", "sgg", "sgg_conflict", "sgg_bf16", "sgg_conflict_bf16", "spectral_cheb8", "spectral_cheb8_update", "adamw_l2init", "muon" })
            foreach (var layout in new[] { "1x[100,100]", "100x[100,1]" })
            {
                var figures = records.Where(r => r.GetProperty("shape").GetString() == $"{chain} {layout}")
                                     .ToDictionary(r => r.GetProperty("unit").GetString()!, r => r.GetProperty("value").GetDouble());
                Assert.True(figures.Keys.ToHashSet().SetEquals(["ms", "B/param", "GB/s", "% over fused adamw"]),
                            $"{chain} {layout}: {string.Join(", ", figures.Keys)}");
                Assert.True(figures["ms"] >= 0 && figures["B/param"] >= 20, $"{chain} {layout}");
                var staged = records.Where(r => r.GetProperty("shape").GetString() == $"{chain}_transform_by_transform {layout}")
                                    .ToDictionary(r => r.GetProperty("unit").GetString()!, r => r.GetProperty("value").GetDouble());
                Assert.True(staged.Keys.ToHashSet().SetEquals(["ms", "B/param", "GB/s"]), $"{chain} {layout} staged: {string.Join(", ", staged.Keys)}");
                // One pass per transform moves more than the fused step's count (profiler-counted against the hand count).
                Assert.True(staged["B/param"] > figures["B/param"], $"{chain} {layout}: staged {staged["B/param"]} B/param, fused {figures["B/param"]}");
            }
    }

    [Fact]
    public void BenchTimesTheHostsLaunches()
    {
        var run = CliRun.Of("bench", "--quick", "--what", "launch");
        Assert.True(run.ExitCode == 0, run.Error);
        var records = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["fused add of 16 floats", "fill of 16 floats"], records.Select(r => r.GetProperty("shape").GetString()));
        Assert.All(records, r =>
        {
            Assert.Equal("launch_host", r.GetProperty("name").GetString());
            Assert.Equal("us", r.GetProperty("unit").GetString());
            Assert.True(r.GetProperty("value").GetDouble() > 0);
        });
    }

    [Fact]
    public void BenchRefusesFlagsThatDoNotApply()
    {
        CliRun.Of("bench", "--what", "optim", "--params", "12345").SingleErrorLine("--params must be a positive multiple of 10,000 (got 12345)");
        CliRun.Of("bench", "--what", "optim", "--steps", "3").SingleErrorLine("--preset, --warmup and --steps apply to the training steps");
        CliRun.Of("bench", "--what", "train", "--params", "10000").SingleErrorLine("--params applies to the optimizer steps");
        CliRun.Of("bench", "--what", "everything").SingleErrorLine("--what must be train, optim, launch or all (got 'everything')");
        CliRun.Of("bench", "--what", "launch", "--preset", "small").SingleErrorLine("--what launch does not take them");
        CliRun.Of("bench", "--what", "launch", "--params", "10000").SingleErrorLine("--params applies to the optimizer steps");
    }
}
