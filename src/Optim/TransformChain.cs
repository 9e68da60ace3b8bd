namespace Engine.Optim;

/// <summary>
/// Transforms applied in order, optax's chain. Each link's state slots are numbered consecutively across the
/// chain (<see cref="SlotNames"/>); a clipping link may only come first, where the update is still the gradient.
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
        }
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
    }

    public IReadOnlyList<GradientTransform> Transforms { get; }

    /// <summary>Every state slot, "index:transform.state" (e.g. "1:scale_by_adam.m"), in slot order.</summary>
    public IReadOnlyList<string> SlotNames { get; }

    public bool UsesGradNorm => Transforms[0].UsesGradNorm;

    /// <summary>The learning-rate schedule of the chain's <see cref="ScaleByLearningRate"/> link, if it has one.</summary>
    public LearningRateSchedule? Schedule => Transforms.OfType<ScaleByLearningRate>().FirstOrDefault()?.Schedule;

    internal IReadOnlyList<int> FirstSlot { get; }

    public override string ToString() => string.Join(" > ", Transforms.Select(t => t.Name));
}
