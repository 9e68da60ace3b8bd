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
}
