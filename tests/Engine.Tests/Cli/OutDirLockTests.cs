using Engine.Cli;
using Engine.Models.Checkpoints;
using Xunit;

namespace Engine.Tests.Cli;

/// <summary>One training run per --out-dir at a time: a second one is refused at once, naming the folder and the holder.</summary>
public sealed class OutDirLockTests
{
    [Fact]
    public void ASecondRunIntoTheSameOutDirFailsAtOnceAndTheFirstFinishesIntact()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        CliRun? second = null, secondResume = null;
        var output = new LineTriggerWriter("step 5/", () =>
        {
            second = CliRun.Of(TinyRun.Args(outDir, 20));
            secondResume = CliRun.Of(TinyRun.Args(outDir, 20, "--resume"));
        });
        var error = new StringWriter();
        int code = EngineProgram.Run(TinyRun.Args(outDir, 20), output, error);

        Assert.True(code == 0, error.ToString());
        Assert.NotNull(second);
        foreach (var refused in new[] { second!, secondResume! })
        {
            Assert.Equal(ExitCodes.Error, refused.ExitCode);
            refused.SingleErrorLine($"--out-dir '{outDir}' is in use by another training run (process {Environment.ProcessId})");
            Assert.Equal("", refused.Out);
        }
        // Only the first run's records, once each.
        var steps = File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl"))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt64());
        Assert.Equal([5L, 10, 15, 20], steps);
        Assert.Equal(20, new CheckpointStore(outDir).LoadLatest()!.Manifest.Step);
    }

    [Fact]
    public void TheLockIsReleasedWhenARunEndsAndARefusedFreshRunLeavesNoFolder()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 5)).ExitCode);
        var resumed = CliRun.Of(TinyRun.Args(outDir, 10, "--resume"));
        Assert.True(resumed.ExitCode == 0, resumed.Error);

        var missing = Path.Combine(dir.Path, "missing.txt");
        var fresh = Path.Combine(dir.Path, "fresh");
        CliRun.Of(TinyRun.Args(fresh, 5, "--data", missing)).SingleErrorLine(missing);
        Assert.False(Directory.Exists(fresh), "a run refused before writing anything must not leave its --out-dir");
    }

    [Fact]
    public void TempFilesOfAKilledSaveAreRemovedWhenARunTakesTheFolder()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 5)).ExitCode);
        string Temp(string target) => Path.Combine(outDir, $".{target}.{Guid.NewGuid():N}.tmp");
        string[] stale = [Temp("step-0000010.safetensors"), Temp("step-0000010.json"), Temp("latest.json"), Temp("metrics.jsonl"), Temp("loss.svg")];
        string[] kept = [Temp("curves.svg"), Path.Combine(outDir, "notes.tmp"), Path.Combine(outDir, ".step-0000010.json.tmp")];
        foreach (var file in stale.Concat(kept)) File.WriteAllText(file, "half a save");

        var resumed = CliRun.Of(TinyRun.Args(outDir, 10, "--resume"));
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.All(stale, file => Assert.False(File.Exists(file), file));
        Assert.All(kept, file => Assert.True(File.Exists(file), file));
    }
}
