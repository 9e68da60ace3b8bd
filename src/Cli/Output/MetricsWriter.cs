using System.Text.Json;
using Engine.Cli.Comparison;
using Engine.Models.Checkpoints;
using Engine.Models.Training;

namespace Engine.Cli.Output;

/// <summary>
/// Appends one JSON object per logged step to a JSONL file (<c>&lt;out-dir&gt;/metrics.jsonl</c>), flushing each line
/// so a crash or Ctrl-C loses nothing already reported and a resumed run continues the same file. Keys:
/// step, train_loss, val_loss (evaluation steps only), lr, grad_norm, the structured method's scalars (cgfm_step_multiplier,
/// cgfm_global_fraction, sgg_cos_g_gs, sgg_clip_rate, spectral_high_freq_fraction: the optimizer's metric names with '_'
/// for '.'), METHODS §0's gv_window, gv_run (std/mean of ||g||), da_window, da_run (mean cos(u_t, u_t-1) of the updates
/// applied; without --update-alignment false) and on evaluation steps val_loss_ema (steps-to-target reads it), perturbation
/// (||θ − θ_0|| / ||θ_0||) and perturbation_by_tensor (an object by parameter name), tokens_per_s, ms_per_iter, elapsed_s,
/// mem_mb, peak_mem_mb and pooled_mb (the device's live buffer memory, its peak so far, and what the cpu pool keeps for
/// reuse besides, MB). A non-finite value is written as null (JSON has no NaN).
/// </summary>
public sealed class MetricsWriter : IDisposable
{
    public const string FileName = "metrics.jsonl";

    private readonly FileStream _file;

    /// <summary>
    /// Opens (creating when needed) <paramref name="path"/> for a run that continues from step
    /// <paramref name="startStep"/> (0 for a fresh run). Records of later steps are dropped first: a fresh run does not
    /// append to an earlier run's curve in the same folder, and a resumed run replaces what a crashed or diverged
    /// attempt logged after the checkpoint it resumes. A line cut by a crash (no newline, not JSON) goes too.
    /// </summary>
    public MetricsWriter(string path, long startStep = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        if (File.Exists(path)) KeepThrough(path, startStep);
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    private static void KeepThrough(string path, long startStep)
    {
        var lines = File.ReadAllLines(path);
        var kept = lines.Where(line => MetricsLog.StepOf(line) is { } step && step <= startStep).ToList();
        if (kept.Count == lines.Length) return;
        AtomicFile.Write(path, System.Text.Encoding.UTF8.GetBytes(string.Concat(kept.Select(l => l + "\n"))));
    }

    /// <summary>The file written.</summary>
    public string Path { get; }

    /// <summary>Appends the record of <paramref name="metrics"/> and flushes it to the file.</summary>
    public void Write(TrainProgress metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _file.Write(Serialize(metrics));
        _file.Flush();
    }

    /// <summary>The JSONL line (with its newline) for <paramref name="metrics"/>.</summary>
    public static byte[] Serialize(TrainProgress metrics)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("step", metrics.Step);
            JsonNumbers.Write(json, "train_loss", metrics.TrainLoss);
            if (metrics.ValLoss is { } val) JsonNumbers.Write(json, "val_loss", val);
            JsonNumbers.Write(json, "lr", metrics.LearningRate);
            JsonNumbers.Write(json, "grad_norm", metrics.GradNorm);
            foreach (var (key, value) in metrics.MethodMetrics ?? new Dictionary<string, double>())
                JsonNumbers.Write(json, key.Replace('.', '_'), value);
            if (metrics.Stability is { } stability) WriteStability(json, stability);
            JsonNumbers.Write(json, "tokens_per_s", metrics.TokensPerSecond);
            JsonNumbers.Write(json, "ms_per_iter", metrics.MsPerIter);
            JsonNumbers.Write(json, "elapsed_s", metrics.Elapsed.TotalSeconds);
            if (metrics.Memory is { } memory)
            {
                JsonNumbers.Write(json, "mem_mb", memory.LiveBytes / 1e6);
                JsonNumbers.Write(json, "peak_mem_mb", memory.PeakBytes / 1e6);
                JsonNumbers.Write(json, "pooled_mb", memory.PooledBytes / 1e6);
            }
            json.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.ToArray();
    }

    private static void WriteStability(Utf8JsonWriter json, StabilityReport stability)
    {
        JsonNumbers.Write(json, "gv_window", stability.GvWindow);
        JsonNumbers.Write(json, "gv_run", stability.GvRun);
        if (stability.DaWindow is { } daWindow) JsonNumbers.Write(json, "da_window", daWindow);
        if (stability.DaRun is { } daRun) JsonNumbers.Write(json, "da_run", daRun);
        if (stability.ValLossEma is { } ema) JsonNumbers.Write(json, "val_loss_ema", ema);
        if (stability.Perturbation is { } perturbation) JsonNumbers.Write(json, "perturbation", perturbation);
        if (stability.PerturbationByTensor is not { } byTensor) return;
        json.WriteStartObject("perturbation_by_tensor");
        foreach (var (name, value) in byTensor) JsonNumbers.Write(json, name, value);
        json.WriteEndObject();
    }

    public void Dispose() => _file.Dispose();

}
