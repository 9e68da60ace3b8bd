namespace Engine.Models.Config;

/// <summary>
/// Every setting of a training run. CLI flags are the kebab-case of <see cref="Keys"/>' YAML keys
/// (e.g. YAML `block_size` = flag `--block-size`). Defaults are preset T (nanoGPT's CPU configuration).
/// </summary>
public sealed record TrainConfig
{
    // data
    public string? Data { get; init; }                 // null: the built-in generated corpus
    public string Tokenizer { get; init; } = "char";   // char | bpe
    public int BpeVocab { get; init; } = 512;

    // model
    public int Layers { get; init; } = 4;
    public int Heads { get; init; } = 4;
    public int Width { get; init; } = 128;
    public int BlockSize { get; init; } = 64;
    public string Init { get; init; } = "normal";      // normal | xavier | he | trunc

    // optimization
    public string Optim { get; init; } = "adamw";      // adamw | sgd
    public int BatchSize { get; init; } = 12;
    public int MaxIters { get; init; } = 2000;
    public float Lr { get; init; } = 1e-3f;
    public float MinLr { get; init; } = 1e-4f;
    public int WarmupIters { get; init; } = 100;
    public int LrDecayIters { get; init; } = 2000;
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.99f;
    public float Eps { get; init; } = 1e-8f;
    public float WeightDecay { get; init; } = 0.1f;
    public float Momentum { get; init; } = 0.9f;
    public float GradClip { get; init; } = 1.0f;       // 0 disables clipping

    // evaluation, logging, checkpoints
    public int EvalInterval { get; init; } = 250;
    public int EvalIters { get; init; } = 20;
    public int LogInterval { get; init; } = 10;
    public int CheckpointInterval { get; init; } = 500;
    public string OutDir { get; init; } = "out";
    public ulong Seed { get; init; } = 1337;
    public string Device { get; init; } = "cpu";

    /// <summary>nanoGPT's CPU configuration: 4 layers, 4 heads, width 128, block 64, batch 12 (~0.8M parameters).</summary>
    public static TrainConfig Tiny { get; } = new();

    /// <summary>6 layers, 6 heads, width 384, block 256, batch 16 (nanoGPT's shakespeare-char size).</summary>
    public static TrainConfig Small { get; } = new()
    {
        Layers = 6, Heads = 6, Width = 384, BlockSize = 256, BatchSize = 16, MaxIters = 5000, LrDecayIters = 5000,
    };

    public static TrainConfig Preset(string name) => name switch
    {
        "tiny" => Tiny,
        "small" => Small,
        _ => throw new ArgumentException($"unknown preset '{name}' (known: tiny, small)"),
    };

    /// <summary>Every problem with this configuration, each naming the flag at fault; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Positive(string flag, double v) { if (!(v > 0)) errors.Add($"--{flag} must be > 0 (got {v})"); }
        void NonNegative(string flag, double v) { if (!(v >= 0)) errors.Add($"--{flag} must be >= 0 (got {v})"); }
        Positive("layers", Layers); Positive("heads", Heads); Positive("width", Width); Positive("block-size", BlockSize);
        Positive("batch-size", BatchSize); NonNegative("max-iters", MaxIters); Positive("lr", Lr); NonNegative("min-lr", MinLr);
        NonNegative("warmup-iters", WarmupIters); Positive("lr-decay-iters", LrDecayIters); Positive("eps", Eps);
        NonNegative("weight-decay", WeightDecay); NonNegative("grad-clip", GradClip); Positive("eval-interval", EvalInterval);
        Positive("eval-iters", EvalIters); Positive("log-interval", LogInterval); Positive("checkpoint-interval", CheckpointInterval);
        if (Heads > 0 && Width % Heads != 0) errors.Add($"--width {Width} must be divisible by --heads {Heads}");
        if (MinLr > Lr) errors.Add($"--min-lr {MinLr} must not exceed --lr {Lr}");
        if (WarmupIters > LrDecayIters) errors.Add($"--warmup-iters {WarmupIters} must not exceed --lr-decay-iters {LrDecayIters}");
        if (Beta1 is < 0 or >= 1) errors.Add($"--beta1 must be in [0, 1) (got {Beta1})");
        if (Beta2 is < 0 or >= 1) errors.Add($"--beta2 must be in [0, 1) (got {Beta2})");
        if (Momentum is < 0 or >= 1) errors.Add($"--momentum must be in [0, 1) (got {Momentum})");
        if (Tokenizer is not ("char" or "bpe")) errors.Add($"--tokenizer must be char or bpe (got '{Tokenizer}')");
        if (Tokenizer == "bpe" && BpeVocab is < 257 or > 65536) errors.Add($"--bpe-vocab must be in [257, 65536] (got {BpeVocab})");
        if (Init is not ("normal" or "xavier" or "he" or "trunc")) errors.Add($"--init must be normal, xavier, he or trunc (got '{Init}')");
        if (Optim is not ("adamw" or "sgd")) errors.Add($"--optim must be adamw or sgd (got '{Optim}')");
        return errors;
    }
}
