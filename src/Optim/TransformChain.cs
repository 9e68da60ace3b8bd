namespace Engine.Optim;

/// <summary>
/// Transforms applied in order, optax's chain. Each link's state slots are numbered consecutively across the
/// chain (<see cref="SlotNames"/>); a clipping link may only come first, where the update is still the gradient, and a
/// structured link (<see cref="StructuredTransform"/>) may only follow a clipping link, since its phase S works on the
/// gradient buffer — unless it may filter the update (<see cref="StructuredTransform.MayFilterUpdate"/>), which splits
/// the fused update where it stands.
/// </summary>
public sealed class TransformChain
{
    public TransformChain(params GradientTransform[] transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        if (transforms.Length == 0) throw new ArgumentException("a chain needs at least one transform", nameof(transforms));
        for (int i = 0; i < transforms.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(transforms[i], $"{nameof(transforms)}[{i}]");
            if (i > 0 && transforms[i].UsesGradNorm)
                throw new ArgumentException(
                    $"transform {i} ('{transforms[i].Name}') reads the global gradient norm, so it must be the first link; " +
                    $"after '{transforms[i - 1].Name}' the update is no longer the gradient", nameof(transforms));
            if (transforms[i] is StructuredTransform { MayFilterUpdate: false } && !IsEarly(transforms, i))
                throw new ArgumentException(
                    $"transform {i} ('{transforms[i].Name}') is structured: it must be the first link, or follow only clip_global_norm",
                    nameof(transforms));
            if (transforms[i] is StructuredTransform && !IsEarly(transforms, i) && transforms.Take(i).OfType<StructuredTransform>().Any())
                throw new ArgumentException($"transform {i} ('{transforms[i].Name}'): a chain holds one structured link", nameof(transforms));
        }
        if (transforms.OfType<StructuredTransform>().Count(t => t.ScalesLearningRate) > 1)
            throw new ArgumentException("at most one link of a chain may scale the learning rate", nameof(transforms));
        Transforms = transforms.ToArray();
        var first = new int[Transforms.Count];
        var names = new List<string>();
        for (int i = 0; i < Transforms.Count; i++)
        {
            first[i] = names.Count;
            names.AddRange(Transforms[i].StateNames.Select(s => $"{i}:{Transforms[i].Name}.{s}"));
        }
        FirstSlot = first;
        SlotNames = names;
        LateLinks = Enumerable.Range(0, Transforms.Count).Where(i => Transforms[i] is StructuredTransform && !IsEarly(Transforms, i)).ToArray();
    }

    /// <summary>A structured link at <paramref name="i"/> works on the raw gradient: it is first, or follows only the clip.</summary>
    private static bool IsEarly(IReadOnlyList<GradientTransform> transforms, int i) => i == 0 || (i == 1 && transforms[0] is ClipGlobalNorm);

    /// <summary>
    /// The structured links that stand after the base optimizer's direction (<see cref="StructuredTransform.MayFilterUpdate"/>):
    /// the fused update splits before each, and their phase S runs on the update buffer between the passes.
    /// </summary>
    internal IReadOnlyList<int> LateLinks { get; }

    /// <summary>Whether the structured link at <paramref name="link"/> works on the raw gradient (phase S before the update).</summary>
    internal bool IsEarlyLink(int link) => IsEarly(Transforms, link);

    public IReadOnlyList<GradientTransform> Transforms { get; }

    /// <summary>Every state slot, "index:transform.state" (e.g. "1:scale_by_adam.m"), in slot order.</summary>
    public IReadOnlyList<string> SlotNames { get; }

    public bool UsesGradNorm => Transforms[0].UsesGradNorm;

    /// <summary>Whether phase R must reduce ||g||²: the chain clips, or a structured link needs it.</summary>
    public bool ReducesGradNorm => UsesGradNorm || Transforms.OfType<StructuredTransform>().Any(t => t.RequiresGradNorm);

    /// <summary>The structured link of the chain, if any (it follows the optional clip).</summary>
    public StructuredTransform? Structured => Transforms.OfType<StructuredTransform>().FirstOrDefault();

    /// <summary>The index of the link whose step multiplier scales the learning rate, or null.</summary>
    internal int? LearningRateMultiplierLink
    {
        get
        {
            for (int i = 0; i < Transforms.Count; i++)
                if (Transforms[i] is StructuredTransform { ScalesLearningRate: true }) return i;
            return null;
        }
    }

    /// <summary>The first link after <paramref name="link"/> with a first moment, and that moment's state slot.</summary>
    internal (int Link, int Slot)? FirstMomentAfter(int link)
    {
        for (int j = link + 1; j < Transforms.Count; j++)
            if (Transforms[j].FirstMomentState is { } state)
                return (j, FirstSlot[j] + Transforms[j].StateNames.ToList().IndexOf(state));
        return null;
    }

    /// <summary>The learning-rate schedule of the chain's <see cref="ScaleByLearningRate"/> link, if it has one.</summary>
    public LearningRateSchedule? Schedule => Transforms.OfType<ScaleByLearningRate>().FirstOrDefault()?.Schedule;

    internal IReadOnlyList<int> FirstSlot { get; }

    public override string ToString() => string.Join(" > ", Transforms.Select(t => t.Name));
}
