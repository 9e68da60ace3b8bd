namespace Engine.Models.Config;

/// <summary>
/// Every setting of a training run. Each property is a YAML key in snake_case and a CLI flag in kebab-case
/// (BlockSize: YAML `block_size`, flag `--block-size`). Defaults are preset T (nanoGPT's CPU configuration).
/// </summary>
public sealed record TrainConfig
{
    // data
    public string? Data { get; init; }                 // null: the built-in generated corpus
    public string? ValData { get; init; }              // null: validate on the last 10% of Data; else train on all of Data
    public string Tokenizer { get; init; } = "char";   // char | bpe
    public int BpeVocab { get; init; } = 512;

    // model
    public int Layers { get; init; } = 4;
    public int Heads { get; init; } = 4;
    public int Width { get; init; } = 128;
    public int BlockSize { get; init; } = 64;
    public string Init { get; init; } = "normal";      // normal | xavier | he | trunc
    public string? InitFrom { get; init; }             // fine-tuning: a checkpoint whose weights (and tokenizer) start the run

    // optimization
    public string Optim { get; init; } = "adamw";      // adamw | sgd | cgfm | sgg | spectral | muon
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
    public bool Nesterov { get; init; }
    public float GradClip { get; init; } = 1.0f;       // 0 disables clipping
    public float L2ToInit { get; init; }               // adamw/sgd: λ of λ||W − W_start||² on the hidden matrices (spectral's control)

    // structured-gradient methods (METHODS.md; cgfm, sgg, spectral over AdamW or SGD; Muon for the hidden matrices with AdamW for the rest)
    public string BaseOptim { get; init; } = "adamw"; // adamw | sgd: what cgfm, sgg and spectral run over
    public int CgfmRank { get; init; }                 // 0: max(1, round(min(m, n) / 8)) per matrix
    public int CgfmRefresh { get; init; } = 100;       // T_p
    public float CgfmLambdaLocal { get; init; } = 0.5f;
    public float CgfmLambdaGlobal { get; init; } = 1.0f;
    public string CgfmStep { get; init; } = "r";       // r (relative) | l (literal) | one
    public string CgfmBasis { get; init; } = "exact";  // exact | randomized (subspace iteration)
    public float SggAlpha { get; init; } = 0.3f;
    public float SggCTau { get; init; } = 2.0f;        // 0 disables the adaptive clip
    public float SggNormEma { get; init; } = 0.98f;
    public float SggSourceWeight { get; init; }       // γ_s: joint source training (0: protect the source only)
    public bool SggProjection { get; init; } = true;  // step 1, the conflict projection (false: its ablation)
    public string SggSourcePrecision { get; init; } = "fp32";   // fp32 | bf16: how g_s is kept between captures
    public string? Source { get; init; }            // null: the train split of the main data
    public int SggEvery { get; init; } = 1;
    public string SggForm { get; init; } = "b";             // b (first-order guidance, fused) | a (the loss form, Hessian products)
    public float SggAAlpha { get; init; } = 0.1f;          // form A: weight of 1 − cos(g, d)
    public float SggABeta { get; init; } = 0.1f;           // form A: weight of ½ max(0, ||g||/τ − 1)²
    public float SggAGamma { get; init; } = 0.1f;          // form A: weight of 1 − cos(g, g_s)
    public float SggACTau { get; init; } = 1.5f;           // form A: τ = c_τ · EMA(||g||)
    public string SggDirection { get; init; } = "momentum";   // momentum | support: SGG's reference direction d
    public int SggSupportBlocks { get; init; } = 32;           // the support set's size, for --sgg-direction support
    public string SpectralGraph { get; init; } = "weights";   // weights | gradients
    public string SpectralLaplacian { get; init; } = "sym";   // sym | comb
    public string SpectralFilter { get; init; } = "heat";     // heat | resolvent
    public float SpectralTau { get; init; } = 0.5f;
    public float SpectralRho { get; init; } = 1.0f;
    public float SpectralLambda { get; init; } = 1e-3f;
    public string SpectralMode { get; init; } = "auto";      // auto (exact up to --spectral-exact-rows rows) | exact | chebyshev
    public string SpectralPlacement { get; init; } = "gradient";  // gradient | update (filter the base optimizer's update)
    public int SpectralOrder { get; init; } = 8;       // Chebyshev K
    public int SpectralExactRows { get; init; } = 512;
    public float SpectralEma { get; init; } = 0.9f;    // decay of the gradient-row EMA of the cosine graph
    public string SpectralReference { get; init; } = "auto";  // auto (start with --init-from, else zero) | zero | start
    public int SpectralNeighbors { get; init; } = 10;
    public int SpectralRebuild { get; init; } = 200;   // T_g
    public int SpectralWarmup { get; init; } = 200;    // steps before the first gradient graph
    public float MuonLr { get; init; } = 0.02f;
    public float MuonMomentum { get; init; } = 0.95f;
    public bool MuonNesterov { get; init; } = true;
    public int MuonNsSteps { get; init; } = 5;
    public float MuonWeightDecay { get; init; }
    public string MuonScale { get; init; } = "shape";  // shape (sqrt(max(1, m/n))) | adamw (0.2 sqrt(max(m, n)), Moonlight)

    // evaluation, logging, checkpoints
    public int EvalInterval { get; init; } = 250;
    public int EvalIters { get; init; } = 20;
    public int LogInterval { get; init; } = 10;
    public bool UpdateAlignment { get; init; } = true;  // record DA = cos(u_t, u_{t-1}) every step (METHODS §0)
    public int StabilityWindow { get; init; } = 200;    // steps of the sliding GV and DA windows
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
        Positive("eval-iters", EvalIters); Positive("log-interval", LogInterval); Positive("stability-window", StabilityWindow); Positive("checkpoint-interval", CheckpointInterval);
        if (Heads > 0 && Width % Heads != 0) errors.Add($"--width {Width} must be divisible by --heads {Heads}");
        if (MinLr > Lr) errors.Add($"--min-lr {MinLr} must not exceed --lr {Lr}");
        if (WarmupIters > LrDecayIters) errors.Add($"--warmup-iters {WarmupIters} must not exceed --lr-decay-iters {LrDecayIters}");
        if (Beta1 is < 0 or >= 1) errors.Add($"--beta1 must be in [0, 1) (got {Beta1})");
        if (Beta2 is < 0 or >= 1) errors.Add($"--beta2 must be in [0, 1) (got {Beta2})");
        if (Momentum is < 0 or >= 1) errors.Add($"--momentum must be in [0, 1) (got {Momentum})");
        if (Nesterov && Momentum == 0) errors.Add("--nesterov needs --momentum > 0 (got 0)");
        if (Tokenizer is not ("char" or "bpe")) errors.Add($"--tokenizer must be char or bpe (got '{Tokenizer}')");
        if (Tokenizer == "bpe" && BpeVocab is < 257 or > 65536) errors.Add($"--bpe-vocab must be in [257, 65536] (got {BpeVocab})");
        if (Init is not ("normal" or "xavier" or "he" or "trunc")) errors.Add($"--init must be normal, xavier, he or trunc (got '{Init}')");
        if (Optim is not ("adamw" or "sgd" or "cgfm" or "sgg" or "spectral" or "muon"))
            errors.Add($"--optim must be adamw, sgd, cgfm, sgg, spectral or muon (got '{Optim}')");
        ValidateMethods(errors);
        return errors;
    }

    private void ValidateMethods(List<string> errors)
    {
        void AtLeast(string flag, int v, int min) { if (v < min) errors.Add($"--{flag} must be >= {min} (got {v})"); }
        void InUnit(string flag, float v, bool closed)
        {
            if (!(v >= 0 && (closed ? v <= 1 : v < 1))) errors.Add($"--{flag} must be in [0, 1{(closed ? "]" : ")")} (got {v})");
        }
        void OneOf(string flag, string v, params string[] allowed)
        {
            if (!allowed.Contains(v)) errors.Add($"--{flag} must be {string.Join(", ", allowed[..^1])} or {allowed[^1]} (got '{v}')");
        }
        OneOf("base-optim", BaseOptim, "adamw", "sgd");
        if (!(L2ToInit >= 0)) errors.Add($"--l2-to-init must be >= 0 (got {L2ToInit})");
        else if (L2ToInit > 0 && Optim is not ("adamw" or "sgd"))
            errors.Add($"--l2-to-init is the control for --optim adamw or sgd (got --optim {Optim}; spectral has its own --spectral-lambda)");
        if (Optim == "sgg" && SggForm == "b" && BaseOptim == "sgd" && Momentum == 0 && SggDirection == "momentum")
            errors.Add("--optim sgg --base-optim sgd needs --momentum > 0: the momentum is SGG's reference direction d (or use --sgg-direction support)");
        AtLeast("cgfm-rank", CgfmRank, 0); AtLeast("cgfm-refresh", CgfmRefresh, 1);
        if (!(CgfmLambdaLocal >= 0)) errors.Add($"--cgfm-lambda-local must be >= 0 (got {CgfmLambdaLocal})");
        if (!(CgfmLambdaGlobal >= 0)) errors.Add($"--cgfm-lambda-global must be >= 0 (got {CgfmLambdaGlobal})");
        OneOf("cgfm-step", CgfmStep, "r", "l", "one");
        OneOf("cgfm-basis", CgfmBasis, "exact", "randomized");
        InUnit("sgg-alpha", SggAlpha, closed: true);
        if (!(SggCTau >= 0)) errors.Add($"--sgg-c-tau must be >= 0 (got {SggCTau}; 0 turns the clip off)");
        InUnit("sgg-norm-ema", SggNormEma, closed: false);
        if (!(SggSourceWeight >= 0)) errors.Add($"--sgg-source-weight must be >= 0 (got {SggSourceWeight})");
        OneOf("sgg-source-precision", SggSourcePrecision, "fp32", "bf16");
        AtLeast("sgg-every", SggEvery, 1);
        OneOf("sgg-form", SggForm, "b", "a");
        foreach (var (flag, value) in new[] { ("sgg-a-alpha", SggAAlpha), ("sgg-a-beta", SggABeta), ("sgg-a-gamma", SggAGamma) })
            if (!(value >= 0)) errors.Add($"--{flag} must be >= 0 (got {value})");
        if (!(SggACTau > 0)) errors.Add($"--sgg-a-c-tau must be > 0 (got {SggACTau})");
        if (Optim == "sgg" && SggForm == "a")
        {
            // Form B's settings would be ignored under form A: refuse them rather than run something else than asked.
            var formB = new TrainConfig();
            if (SggDirection != formB.SggDirection) errors.Add("--sgg-direction support is for form B (--sgg-form b); form A's d is the momentum");
            foreach (var (flag, given, fallback) in new (string, object, object)[]
                     {
                         ("sgg-alpha", SggAlpha, formB.SggAlpha), ("sgg-c-tau", SggCTau, formB.SggCTau),
                         ("sgg-source-weight", SggSourceWeight, formB.SggSourceWeight), ("sgg-every", SggEvery, formB.SggEvery),
                         ("sgg-source-precision", SggSourcePrecision, formB.SggSourcePrecision), ("sgg-projection", SggProjection, formB.SggProjection),
                     })
                if (!given.Equals(fallback))
                    errors.Add($"--{flag} is a setting of SGG form B; with --sgg-form a it does nothing (form A: --sgg-a-alpha, --sgg-a-beta, " +
                               "--sgg-a-gamma, --sgg-a-c-tau; a source batch every step)");
            if (BaseOptim == "sgd" && Momentum == 0 && SggAAlpha > 0)
                errors.Add("--sgg-form a --base-optim sgd needs --momentum > 0 for its direction term (or --sgg-a-alpha 0)");
        }
        OneOf("sgg-direction", SggDirection, "momentum", "support");
        AtLeast("sgg-support-blocks", SggSupportBlocks, 1);
        if (Source is { Length: 0 }) errors.Add("--source must name a file (or be left out for the main data's train split)");
        if (Data is { Length: 0 }) errors.Add("--data must name a file (or be left out for the generated corpus)");
        if (ValData is { Length: 0 }) errors.Add("--val-data must name a file (or be left out to validate on the last 10% of --data)");
        if (OutDir.Length == 0) errors.Add("--out-dir must name a directory");
        if (Device.Length == 0) errors.Add("--device must name a device: cpu, opencl[:i] or cuda[:i]");
        if (InitFrom is { Length: 0 }) errors.Add("--init-from must name a checkpoint (a run's --out-dir or NAME.json)");
        OneOf("spectral-graph", SpectralGraph, "weights", "gradients");
        OneOf("spectral-laplacian", SpectralLaplacian, "sym", "comb");
        OneOf("spectral-filter", SpectralFilter, "heat", "resolvent");
        if (!(SpectralTau > 0)) errors.Add($"--spectral-tau must be > 0 (got {SpectralTau})");
        InUnit("spectral-rho", SpectralRho, closed: true);
        if (!(SpectralLambda >= 0)) errors.Add($"--spectral-lambda must be >= 0 (got {SpectralLambda})");
        OneOf("spectral-mode", SpectralMode, "auto", "exact", "chebyshev");
        OneOf("spectral-placement", SpectralPlacement, "gradient", "update");
        if (SpectralOrder < 1) errors.Add($"--spectral-order must be >= 1 (got {SpectralOrder}; for the exact filter use --spectral-mode exact)");
        AtLeast("spectral-exact-rows", SpectralExactRows, 1);
        InUnit("spectral-ema", SpectralEma, closed: false);
        OneOf("spectral-reference", SpectralReference, "auto", "zero", "start"); AtLeast("spectral-neighbors", SpectralNeighbors, 1);
        AtLeast("spectral-rebuild", SpectralRebuild, 1); AtLeast("spectral-warmup", SpectralWarmup, 0);
        if (!(MuonLr > 0)) errors.Add($"--muon-lr must be > 0 (got {MuonLr})");
        InUnit("muon-momentum", MuonMomentum, closed: false);
        if (MuonNesterov && MuonMomentum == 0) errors.Add("--muon-nesterov needs --muon-momentum > 0 (got 0)");
        AtLeast("muon-ns-steps", MuonNsSteps, 1);
        OneOf("muon-scale", MuonScale, "shape", "adamw");
        if (!(MuonWeightDecay >= 0)) errors.Add($"--muon-weight-decay must be >= 0 (got {MuonWeightDecay})");
    }
}
