using Engine.Models.Config;

namespace Engine.Tests.Training;

/// <summary>Small configurations that train in well under a second per 20 steps on the built-in generated corpus.</summary>
internal static class TinyRuns
{
    /// <summary>2 layers, 2 heads, width 32, block 16, batch 8; no evaluation or checkpoint except at the end.</summary>
    public static TrainConfig Config(string outDir, int maxIters) => TrainConfig.Tiny with
    {
        Layers = 2, Heads = 2, Width = 32, BlockSize = 16, BatchSize = 8,
        MaxIters = maxIters, WarmupIters = 5, LrDecayIters = 100,
        EvalInterval = 1000, EvalIters = 2, LogInterval = 1000, CheckpointInterval = 1000,
        OutDir = outDir,
    };
}

/// <summary>An IProgress that runs its callback synchronously on the training thread (Progress&lt;T&gt; would post it).</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
