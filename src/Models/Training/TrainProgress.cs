using Engine.Kernels.Devices;

namespace Engine.Models.Training;

/// <summary>
/// What the trainer reports after a step that is a log step (every LogInterval) or an evaluation step. This is
/// the record the CLI prints and writes as JSONL.
/// </summary>
/// <param name="Step">Optimizer steps taken so far (1 after the first step).</param>
/// <param name="MaxIters">Steps the run will take in total.</param>
/// <param name="TrainLoss">Mean cross-entropy of this step's training batch.</param>
/// <param name="ValLoss">Mean validation loss over EvalIters batches, on evaluation steps only.</param>
/// <param name="LearningRate">The learning rate this step used.</param>
/// <param name="GradNorm">Global L2 norm of this step's gradient, before clipping.</param>
/// <param name="TokensPerSecond">Training tokens per second over the steps since the previous report (steps only, no evaluation).</param>
/// <param name="MsPerIter">Milliseconds per step over the same steps.</param>
/// <param name="Elapsed">Wall time since the run (or the resumed run) started.</param>
/// <param name="MethodMetrics">
/// The structured method's scalars of this step (e.g. cgfm.step_multiplier, cgfm.global_fraction, sgg.cos_g_gs,
/// sgg.clip_rate, spectral.high_freq_fraction); null or empty for plain optimizers.
/// </param>
/// <param name="Memory">The training device's buffer memory when the report was made (live, and peak since it opened).</param>
/// <param name="Stability">METHODS §0's GV and DA so far, and on evaluation steps the val-loss EMA and the perturbation.</param>
public sealed record TrainProgress(
    long Step,
    long MaxIters,
    double TrainLoss,
    double? ValLoss,
    double LearningRate,
    double GradNorm,
    double TokensPerSecond,
    double MsPerIter,
    TimeSpan Elapsed,
    IReadOnlyDictionary<string, double>? MethodMetrics = null,
    DeviceMemoryInfo? Memory = null,
    StabilityReport? Stability = null);
