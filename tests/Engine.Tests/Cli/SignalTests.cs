using Engine.Cli;
using Engine.Models.Checkpoints;
using Xunit;

namespace Engine.Tests.Cli;

/// <summary>How a training process ends when something outside stops it (kill, timeout, docker stop, a scheduler).</summary>
public sealed class SignalTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    [Fact]
    public void SigtermStopsBetweenStepsWritesACheckpointAndExits143()
    {
        if (OperatingSystem.IsWindows()) return;   // no POSIX signals to send
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        int code;
        string error;
        using (var engine = new EngineProcess(TinyRun.Args(outDir, 1_000_000, "--checkpoint-interval", "100000")))
        {
            engine.WaitForLine("step 10/", Patience);
            engine.Signal(EngineProcess.SigTerm);
            code = engine.WaitForExit(Patience);
            error = engine.Error;
        }
        Assert.True(code == ExitCodes.Terminated, $"exit {code}; stderr: {error}");
        Assert.StartsWith("engine: interrupted at step ", error);
        var saved = new CheckpointStore(outDir).LoadLatest();
        Assert.NotNull(saved);
        Assert.True(saved.Manifest.Step >= 10, $"checkpoint at step {saved.Manifest.Step}");
        var resumed = CliRun.Of(TinyRun.Args(outDir, (int)saved.Manifest.Step + 5, "--resume"));
        Assert.True(resumed.ExitCode == 0, resumed.Error);
    }

    [Fact]
    public void AKilledRunLeavesNoLockAndResumes()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        using (var engine = new EngineProcess(TinyRun.Args(outDir, 1_000_000)))
        {
            engine.WaitForLine("step 20/", Patience);
            engine.KillHard();
            engine.WaitForExit(Patience);
        }
        Assert.True(File.Exists(Path.Combine(outDir, RunDirectoryLock.LockFileName)));
        var saved = new CheckpointStore(outDir).LoadLatest()!;
        var resumed = CliRun.Of(TinyRun.Args(outDir, (int)saved.Manifest.Step + 5, "--resume"));
        Assert.True(resumed.ExitCode == 0, resumed.Error);
    }
}
