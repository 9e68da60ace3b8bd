using System.Globalization;
using System.Reflection;
using Engine.Models.Config;

namespace Engine.Cli.Configuration;

/// <summary>
/// Every <see cref="TrainConfig"/> setting, found by reflection so a setting added to the record becomes a flag and
/// a YAML key without touching the program (the descriptions below are checked to cover them all by a test).
/// </summary>
internal static class TrainSettings
{
    private static readonly Dictionary<string, string> Descriptions = new()
    {
        [nameof(TrainConfig.Data)] = "UTF-8 text file to train on (default: a generated corpus)",
        [nameof(TrainConfig.ValData)] = "UTF-8 text file to validate on; then all of --data is trained on (default: the last 10% of --data is held out)",
        [nameof(TrainConfig.Tokenizer)] = "char | bpe",
        [nameof(TrainConfig.BpeVocab)] = "vocabulary size of the bpe tokenizer",
        [nameof(TrainConfig.Layers)] = "transformer blocks",
        [nameof(TrainConfig.Heads)] = "attention heads per block",
        [nameof(TrainConfig.Width)] = "embedding width (divisible by --heads)",
        [nameof(TrainConfig.BlockSize)] = "context length in tokens",
        [nameof(TrainConfig.Init)] = "weight init: normal | xavier | he | trunc",
        [nameof(TrainConfig.Optim)] = "optimizer: adamw | sgd | cgfm | sgg | spectral | muon (cgfm, sgg, spectral run over --base-optim; muon: Muon for the hidden matrices, AdamW for the rest)",
        [nameof(TrainConfig.BatchSize)] = "sequences per step",
        [nameof(TrainConfig.MaxIters)] = "optimizer steps of the run",
        [nameof(TrainConfig.Lr)] = "peak learning rate",
        [nameof(TrainConfig.MinLr)] = "learning rate at the end of the cosine decay",
        [nameof(TrainConfig.WarmupIters)] = "steps of linear warm-up",
        [nameof(TrainConfig.LrDecayIters)] = "step at which the cosine decay reaches --min-lr",
        [nameof(TrainConfig.Beta1)] = "AdamW beta1",
        [nameof(TrainConfig.Beta2)] = "AdamW beta2",
        [nameof(TrainConfig.Eps)] = "AdamW epsilon",
        [nameof(TrainConfig.WeightDecay)] = "decoupled weight decay",
        [nameof(TrainConfig.Momentum)] = "SGD momentum",
        [nameof(TrainConfig.Nesterov)] = "SGD: Nesterov momentum (true | false)",
        [nameof(TrainConfig.BaseOptim)] = "what cgfm, sgg and spectral run over: adamw | sgd (with --momentum, --nesterov; cgfm over sgd with --momentum 0 is METHODS' faithful form)",
        [nameof(TrainConfig.GradClip)] = "clip the global gradient norm to this (0: off)",
        [nameof(TrainConfig.L2ToInit)] = "adamw, sgd: add the gradient of lambda*||W - W_start||^2 for the hidden matrices, W_start the weights at step 0 (METHODS' L2-to-init control for spectral's regularizer; 0: off)",
        [nameof(TrainConfig.CgfmRank)] = "cgfm: rank r of the global subspace (0: max(1, round(min(m,n)/8)) per matrix)",
        [nameof(TrainConfig.CgfmRefresh)] = "cgfm: steps between refreshes of the basis (T_p)",
        [nameof(TrainConfig.CgfmLambdaLocal)] = "cgfm: weight of the residual (local) part",
        [nameof(TrainConfig.CgfmLambdaGlobal)] = "cgfm: weight of the low-rank (global) part",
        [nameof(TrainConfig.CgfmStep)] = "cgfm: step multiplier s_t: r (1 + ||g_adj||/||g||) | l (denominator frozen at step 0) | one",
        [nameof(TrainConfig.CgfmBasis)] = "cgfm: how a refresh finds the basis: exact (full eigendecomposition of the smaller Gram matrix) | randomized (subspace iteration: width r+4, 2 power iterations, QR)",
        [nameof(TrainConfig.SggAlpha)] = "sgg: weight of the momentum direction in the blend, in [0, 1]",
        [nameof(TrainConfig.SggCTau)] = "sgg: adaptive clip at c_tau * EMA(||g||) (0: off)",
        [nameof(TrainConfig.SggNormEma)] = "sgg: decay of the EMA of ||g|| behind the clip threshold",
        [nameof(TrainConfig.SggProjection)] = "sgg: step 1, the conflict projection (true | false: its ablation; with --sgg-alpha 0 --sgg-c-tau 0 --sgg-source-weight 1, plain joint training on g + g_s)",
        [nameof(TrainConfig.SggSourceWeight)] = "sgg: gamma_s, weight of the source gradient (projected against g in a conflict) added for joint source training (0: protect the source only)",
        [nameof(TrainConfig.SggSourcePrecision)] = "sgg: how the source gradient is kept between recomputations: fp32 | bf16 (half the memory, 2 B/param less per pass that reads it, rounded to 8 significant bits)",
        [nameof(TrainConfig.InitFrom)] = "fine-tune: start from this checkpoint's weights and tokenizer (a run's --out-dir or NAME.json; the model flags must match it), with a fresh optimizer at step 0",
        [nameof(TrainConfig.Source)] = "sgg: UTF-8 text whose train split (first 90%) gives the source gradient (default: the main data's train split)",
        [nameof(TrainConfig.SggEvery)] = "sgg: steps between source-gradient recomputations (one extra forward/backward each)",
        [nameof(TrainConfig.SggForm)] = "sgg: b (first-order guidance, one fused step) | a (METHODS' loss form: its gradient through two finite-difference Hessian products and a source batch every step, on the device; ~2x form B's step on cpu, config T)",
        [nameof(TrainConfig.SggAAlpha)] = "sgg form a: weight alpha of R_dir = 1 - cos(g, d)",
        [nameof(TrainConfig.SggABeta)] = "sgg form a: weight beta of R_mag = 0.5 max(0, ||g||/tau - 1)^2",
        [nameof(TrainConfig.SggAGamma)] = "sgg form a: weight gamma of R_align = 1 - cos(g, g_s)",
        [nameof(TrainConfig.SggACTau)] = "sgg form a: tau = c_tau * EMA(||g||)",
        [nameof(TrainConfig.SggDirection)] = "sgg: the reference direction d: momentum (the base optimizer's first moment) | support (the mean gradient of a fixed support set of the train split, recomputed every --sgg-every steps: METHODS' choice for small support sets)",
        [nameof(TrainConfig.SggSupportBlocks)] = "sgg: blocks in the support set (evenly spread over the train split, rounded up to whole batches), with --sgg-direction support",
        [nameof(TrainConfig.SpectralGraph)] = "spectral: row graph from the weights (kNN Gaussian) or the gradients (EMA cosine, after the warm-up)",
        [nameof(TrainConfig.SpectralLaplacian)] = "spectral: sym (I - D^-1/2 A D^-1/2) | comb (D - A)",
        [nameof(TrainConfig.SpectralFilter)] = "spectral: heat (exp(-tau*lambda)) | resolvent (1/(1 + tau*lambda))",
        [nameof(TrainConfig.SpectralTau)] = "spectral: filter width tau",
        [nameof(TrainConfig.SpectralRho)] = "spectral: blend rho of filtered and raw gradient, in [0, 1]",
        [nameof(TrainConfig.SpectralLambda)] = "spectral: weight of the regularizer tr(dW^T L dW), dW = W - W_ref",
        [nameof(TrainConfig.SpectralMode)] = "spectral: how h(L) is applied: auto (exact up to --spectral-exact-rows rows, Chebyshev above) | exact (eigendecomposition) | chebyshev",
        [nameof(TrainConfig.SpectralPlacement)] = "spectral: filter the gradient before the base optimizer | the update after it (AdamW's direction; the regularizer is then decoupled, added to the update)",
        [nameof(TrainConfig.SpectralOrder)] = "spectral: Chebyshev order K",
        [nameof(TrainConfig.SpectralExactRows)] = "spectral: the most rows --spectral-mode auto filters exactly",
        [nameof(TrainConfig.SpectralEma)] = "spectral: decay of the gradient-row EMA the cosine graph compares",
        [nameof(TrainConfig.SpectralReference)] = "spectral: W_ref of the regularizer: auto (start with --init-from, else zero) | zero | start (the weights at step 0 of this run)",
        [nameof(TrainConfig.SpectralNeighbors)] = "spectral: k of the kNN graph",
        [nameof(TrainConfig.SpectralRebuild)] = "spectral: steps between graph rebuilds (T_g)",
        [nameof(TrainConfig.SpectralWarmup)] = "spectral: steps before the first gradient graph",
        [nameof(TrainConfig.MuonLr)] = "muon: peak learning rate of the hidden matrices (same warm-up and decay shape as --lr)",
        [nameof(TrainConfig.MuonMomentum)] = "muon: momentum beta",
        [nameof(TrainConfig.MuonNesterov)] = "muon: orthogonalize the Nesterov look-ahead (true | false)",
        [nameof(TrainConfig.MuonNsSteps)] = "muon: Newton-Schulz iterations",
        [nameof(TrainConfig.MuonWeightDecay)] = "muon: decoupled weight decay of the hidden matrices",
        [nameof(TrainConfig.MuonScale)] = "muon: step scale: shape (sqrt(max(1, m/n))) | adamw (0.2 sqrt(max(m, n)), Moonlight's AdamW-matched RMS: then set --muon-lr and --muon-weight-decay to AdamW's values; 0.02 is the shape scale's lr)",
        [nameof(TrainConfig.EvalInterval)] = "steps between validation-loss evaluations",
        [nameof(TrainConfig.EvalIters)] = "batches averaged per evaluation",
        [nameof(TrainConfig.LogInterval)] = "steps between progress lines and metrics records",
        [nameof(TrainConfig.UpdateAlignment)] = "log DA, the mean cos(u_t, u_t-1) of the updates applied (true | false; 6 more bytes per parameter a step)",
        [nameof(TrainConfig.StabilityWindow)] = "steps of the sliding window of the logged GV (std/mean of ||g||) and DA",
        [nameof(TrainConfig.CheckpointInterval)] = "steps between checkpoints",
        [nameof(TrainConfig.OutDir)] = "directory of checkpoints and metrics.jsonl",
        [nameof(TrainConfig.Seed)] = "random seed (init, batches)",
        [nameof(TrainConfig.Device)] = "cpu | opencl[:i] | cuda[:i]",
    };

    /// <summary>The settings in declaration order.</summary>
    public static IReadOnlyList<TrainSetting> All { get; } = Properties()
        .Select(p => TrainSetting.For(p, Descriptions.GetValueOrDefault(p.Name, "") + DefaultOf(p)))
        .ToArray();

    /// <summary>
    /// Fresh options (a command-line option belongs to one command) for the settings that shape the optimizer chain: the
    /// AdamW/SGD hyperparameters, the clip, and every method's settings — for commands that build the optimizer
    /// <c>engine train</c> would (<c>engine profile</c>).
    /// </summary>
    public static IReadOnlyList<TrainSetting> CreateOptimizerSettings() => Properties()
        .Where(p => OptimizerSettings.Contains(p.Name) || MethodPrefixes.Any(m => p.Name.StartsWith(m, StringComparison.Ordinal)))
        .Select(p => TrainSetting.For(p, Descriptions.GetValueOrDefault(p.Name, "") + DefaultOf(p)))
        .ToArray();

    private static readonly string[] MethodPrefixes = ["Cgfm", "Sgg", "Spectral", "Muon"];

    private static readonly string[] OptimizerSettings =
    [
        nameof(TrainConfig.Beta1), nameof(TrainConfig.Beta2), nameof(TrainConfig.Eps), nameof(TrainConfig.WeightDecay),
        nameof(TrainConfig.Momentum), nameof(TrainConfig.Nesterov), nameof(TrainConfig.GradClip), nameof(TrainConfig.BaseOptim),
        nameof(TrainConfig.L2ToInit),
    ];

    /// <summary>Names of the properties that lack a description (empty when the table is complete).</summary>
    public static IReadOnlyList<string> Undescribed => Properties().Select(p => p.Name).Where(n => !Descriptions.ContainsKey(n)).ToArray();

    /// <summary>The setting whose YAML key is <paramref name="key"/>, or null.</summary>
    public static TrainSetting? ByKey(string key) => All.FirstOrDefault(s => s.Key == key);

    private static string DefaultOf(PropertyInfo property) =>
        property.GetValue(TrainConfig.Tiny) is { } value ? $" (tiny: {Convert.ToString(value, CultureInfo.InvariantCulture)})" : "";

    private static IEnumerable<PropertyInfo> Properties() =>
        typeof(TrainConfig).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod!.IsPublic)
            .OrderBy(p => p.MetadataToken);
}
