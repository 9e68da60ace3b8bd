using Engine.Cli.Output;
using Engine.Models.Checkpoints;

namespace Engine.Cli.Commands;

/// <summary>
/// The --out-dir of <c>engine train</c>: one run at a time (its lock), what a fresh or resumed run needs to find there,
/// and the first write into it; each problem is named as the flag's.
/// </summary>
internal static class TrainOutDir
{
    /// <summary>The first write into --out-dir: a folder that cannot be created or written is named as the flag's fault.</summary>
    public static MetricsWriter OpenMetrics(string outDir, long startStep)
    {
        try
        {
            return new MetricsWriter(Path.Combine(outDir, MetricsWriter.FileName), startStep);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CannotWrite(outDir, e);
        }
    }

    /// <summary>
    /// The exclusive lock of --out-dir, or an error naming the folder and the run that holds it. Under the lock no save
    /// can be in progress, so the temp files of a run killed mid-save (kill -9, power loss) are removed: they were never
    /// renamed into place, so they hold nothing a checkpoint or the log lacks.
    /// </summary>
    public static RunDirectoryLock Lock(string outDir)
    {
        RunDirectoryLock? held;
        int? owner;
        try
        {
            held = RunDirectoryLock.TryAcquire(outDir, out owner);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CannotWrite(outDir, e);
        }
        if (held is null)
            throw new UsageException(
                $"--out-dir '{outDir}' is in use by another training run{(owner is { } pid ? $" (process {pid})" : "")}; " +
                "wait for it to end, or choose another --out-dir");
        try
        {
            AtomicFile.RemoveStaleTemporaries(outDir,
                target => CheckpointStore.IsStoreFile(target) || target is MetricsWriter.FileName or LossCurves.FileName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            held.Dispose();
            throw CannotWrite(outDir, e);
        }
        return held;
    }

    private static UsageException CannotWrite(string outDir, Exception e) => new($"--out-dir '{outDir}' cannot be written: {e.Message}");

    /// <summary>A fresh run must not overwrite another run's checkpoints.</summary>
    public static void RequireNoCheckpoints(string outDir)
    {
        if (HasCheckpoints(outDir))
            throw new UsageException(
                $"--out-dir '{outDir}' already holds checkpoints; pass --resume to continue that run, or choose another --out-dir");
    }

    public static bool HasCheckpoints(string outDir) => Directory.Exists(outDir) && Directory.EnumerateFiles(outDir)
        .Any(f => Path.GetExtension(f) == ".safetensors" || Path.GetFileName(f) == CheckpointStore.LatestFileName);
}
