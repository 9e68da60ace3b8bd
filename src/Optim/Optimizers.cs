using Engine.Optim.Structured;

namespace Engine.Optim;

/// <summary>The standard optimizers as transform chains.</summary>
public static class Optimizers
{
    /// <summary>
    /// PyTorch AdamW (decoupled weight decay on the decayed segment), preceded by global-norm clipping when
    /// <paramref name="clip"/> is set: Clip? > ScaleByAdam > AddDecayedWeights > ScaleByLearningRate.
    /// </summary>
    public static TransformChain AdamW(LearningRateSchedule lr, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8,
                                       double weightDecay = 0.01, double? clip = null)
    {
        var links = new List<GradientTransform>();
        if (clip is { } maxNorm) links.Add(new ClipGlobalNorm(maxNorm));
        links.Add(new ScaleByAdam(b1, b2, eps));
        if (weightDecay != 0) links.Add(new AddDecayedWeights(weightDecay));
        links.Add(new ScaleByLearningRate(lr));
        return new TransformChain(links.ToArray());
    }

    /// <summary>
    /// torch.optim.SGD (dampening 0) with its L2 weight decay on the decayed segment, preceded by global-norm
    /// clipping when <paramref name="clip"/> is set: Clip? > AddDecayedWeights? > Momentum? > ScaleByLearningRate.
    /// </summary>
    public static TransformChain Sgd(LearningRateSchedule lr, double momentum = 0, bool nesterov = false,
                                     double weightDecay = 0, double? clip = null)
    {
        Hyperparameter.UnitInterval(momentum, nameof(momentum));
        if (nesterov && momentum == 0)
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Nesterov momentum needs momentum > 0, got 0");
        var links = new List<GradientTransform>();
        if (clip is { } maxNorm) links.Add(new ClipGlobalNorm(maxNorm));
        if (Hyperparameter.NonNegative(weightDecay, nameof(weightDecay)) != 0) links.Add(new AddDecayedWeights(weightDecay));
        if (momentum != 0) links.Add(new Momentum(momentum, nesterov));
        links.Add(new ScaleByLearningRate(lr));
        return new TransformChain(links.ToArray());
    }

    /// <summary>CGFM-LR over AdamW (METHODS §1b): Clip? > Cgfm > ScaleByAdam > AddDecayedWeights > ScaleByLearningRate (lr·s_t, decay lr·wd).</summary>
    public static TransformChain Cgfm(LearningRateSchedule lr, CgfmOptions? options = null, double b1 = 0.9, double b2 = 0.999,
                                      double eps = 1e-8, double weightDecay = 0.01, double? clip = null) =>
        Structured(new CgfmTransform(options), lr, b1, b2, eps, weightDecay, clip);

    /// <summary>SGG form B over AdamW (METHODS §2b): Clip? > Sgg > ScaleByAdam > AddDecayedWeights > ScaleByLearningRate.</summary>
    public static TransformChain Sgg(LearningRateSchedule lr, SggOptions? options = null, double b1 = 0.9, double b2 = 0.999,
                                     double eps = 1e-8, double weightDecay = 0.01, double? clip = null) =>
        Structured(new SggTransform(options), lr, b1, b2, eps, weightDecay, clip);

    /// <summary>SPEC-GF over AdamW (METHODS §3b): Clip? > Spectral > ScaleByAdam > AddDecayedWeights > ScaleByLearningRate.</summary>
    public static TransformChain Spectral(LearningRateSchedule lr, SpectralOptions? options = null, double b1 = 0.9, double b2 = 0.999,
                                          double eps = 1e-8, double weightDecay = 0.01, double? clip = null) =>
        Structured(new SpectralTransform(options), lr, b1, b2, eps, weightDecay, clip);

    /// <summary>
    /// Muon for the 2-D hidden matrices (METHODS §4.4): Clip? > Muon > AddDecayedWeights? > ScaleByLearningRate, i.e.
    /// W ← (1 − lr·wd) W − lr·sqrt(max(1, m/n))·NS(U). Pair it with AdamW for the rest:
    /// <c>new Optimizer(store, Optimizers.Muon(0.02), Optimizers.AdamW(3e-4))</c>.
    /// </summary>
    public static TransformChain Muon(LearningRateSchedule lr, MuonOptions? options = null, double weightDecay = 0, double? clip = null)
    {
        var links = new List<GradientTransform>();
        if (clip is { } maxNorm) links.Add(new ClipGlobalNorm(maxNorm));
        links.Add(new MuonTransform(options));
        if (Hyperparameter.NonNegative(weightDecay, nameof(weightDecay)) != 0) links.Add(new AddDecayedWeights(weightDecay));
        links.Add(new ScaleByLearningRate(lr));
        return new TransformChain(links.ToArray());
    }

    /// <summary>
    /// <paramref name="link"/> — a method (CGFM, SGG, SPEC-GF) or a gradient term (<see cref="AddL2ToInit"/>) — over a base
    /// chain built by <see cref="AdamW"/> or <see cref="Sgd"/>: the link goes right after the base's clip, so it sees the
    /// gradient and the base's first moment follows it. Over SGD without momentum this is METHODS §1b's faithful CGFM,
    /// θ ← θ − η s_t G_adj; SGG needs momentum (d = m).
    /// </summary>
    public static TransformChain Over(GradientTransform link, TransformChain baseChain)
    {
        ArgumentNullException.ThrowIfNull(link);
        ArgumentNullException.ThrowIfNull(baseChain);
        if (link is StructuredTransform && baseChain.Structured is { } existing)
            throw new ArgumentException($"the base chain '{baseChain}' already has a structured link ('{existing.Name}')", nameof(baseChain));
        var links = baseChain.Transforms.ToList();
        links.Insert(links[0] is ClipGlobalNorm ? 1 : 0, link);
        return new TransformChain(links.ToArray());
    }

    /// <summary>
    /// <paramref name="method"/> after the base chain's direction — after ScaleByAdam or Momentum, before the decoupled
    /// decay and the learning rate (before the learning rate when the base has neither) — so it filters the update the
    /// base optimizer computed (SPEC-GF's placement variant, METHODS §3b). Only links that may filter the update.
    /// </summary>
    public static TransformChain OnUpdate(StructuredTransform method, TransformChain baseChain)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(baseChain);
        if (!method.MayFilterUpdate) throw new ArgumentException($"'{method.Name}' works on the gradient only; use Over", nameof(method));
        var links = baseChain.Transforms.ToList();
        int at = links.FindLastIndex(l => l is ScaleByAdam or Momentum) + 1;
        if (at == 0) at = links.FindIndex(l => l is ScaleByLearningRate);
        links.Insert(at >= 0 ? at : links.Count, method);
        return new TransformChain(links.ToArray());
    }

    private static TransformChain Structured(StructuredTransform method, LearningRateSchedule lr, double b1, double b2, double eps,
                                             double weightDecay, double? clip) =>
        Over(method, AdamW(lr, b1, b2, eps, Hyperparameter.NonNegative(weightDecay, nameof(weightDecay)), clip));
}
