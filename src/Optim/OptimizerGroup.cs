using Engine.Tensors;

namespace Engine.Optim;

/// <summary>Which parameters an optimizer group updates.</summary>
internal enum ParameterSelection { All, HiddenMatrices, Others }

/// <summary>
/// One chain of an <see cref="Optimizer"/> over its part of the store: its compiled passes, its state slots (store-sized,
/// only its part is touched) and its bound structured links.
/// </summary>
internal sealed class OptimizerGroup : IDisposable
{
    private UpdatePass[]? _staged;

    /// <param name="recordApplied">The passes that write p also write the update applied (<see cref="Operand.AppliedUpdate"/>).</param>
    public OptimizerGroup(int index, TransformChain chain, ParameterSelection selection, ParameterStore store, bool recordApplied)
    {
        RecordApplied = recordApplied;
        Index = index;
        Chain = chain;
        Selection = selection;
        Prefix = selection switch { ParameterSelection.HiddenMatrices => "hidden/", ParameterSelection.Others => "other/", _ => "" };
        foreach (var structured in chain.Transforms.OfType<StructuredTransform>())
        {
            if (selection == ParameterSelection.Others)
                throw new ArgumentException($"'{structured.Name}' works on hidden matrices; it cannot be in the chain of the other parameters");
            if (structured.HiddenMatricesOnly && selection != ParameterSelection.HiddenMatrices)
                throw new ArgumentException(
                    $"'{structured.Name}' updates only the 2-D hidden matrices: give it its own chain, " +
                    "new Optimizer(store, hiddenMatrices: <its chain>, others: <e.g. AdamW>)");
        }
        Fused = StepPrograms.Fused(chain, index, recordApplied);
        Slots = chain.SlotNames.Select(_ => Tensor.Zeros(store.Device, checked((int)store.Count))).ToArray();
        Links = new StructuredLink?[chain.Transforms.Count];
        Segments = SegmentsOf(selection, store, chain.Transforms.Any(t => t.UsesHiddenFlag)).Where(s => s.Length > 0).ToArray();
        var matrices = selection == ParameterSelection.Others ? [] : store.HiddenMatrices;
        for (int i = 0; i < chain.Transforms.Count; i++)
            if (chain.Transforms[i] is StructuredTransform structured)
                Links[i] = structured.Bind(new LinkBinding(store.Device, store, matrices, Slots, chain.FirstSlot[i],
                                                           chain.FirstMomentAfter(i)?.Slot));
        EarlyLinks = Links.Select((l, i) => (i, l)).Where(x => x.l is not null && chain.IsEarlyLink(x.i)).Select(x => (x.i, x.l!)).ToArray();
        ClipNorm = chain.Transforms[0] is ClipGlobalNorm clip && EarlyLinks.Length > 0 ? clip.MaxNorm : null;
    }

    public int Index { get; }
    public TransformChain Chain { get; }
    public ParameterSelection Selection { get; }

    /// <summary>Prefix of slot and extra-state names ("hidden/", "other/"; empty for a single chain).</summary>
    public string Prefix { get; }

    /// <summary>The fused update: one pass, or one more per late structured link (<see cref="TransformChain.LateLinks"/>).</summary>
    public UpdatePass[] Fused { get; }
    public UpdatePass[] Staged => _staged ??= StepPrograms.Staged(Chain, Index, RecordApplied);

    public bool RecordApplied { get; }
    public Tensor[] Slots { get; }
    public StructuredLink?[] Links { get; }

    /// <summary>The flat ranges the group's update passes run over, with their weight-decay and hidden-matrix flags.</summary>
    public (long Start, long Length, bool Decayed, bool Hidden)[] Segments { get; }

    /// <summary>The clip coefficient for phase S (rank-0, device), when the chain clips and has a structured link.</summary>
    public Tensor? ClipScale { get; set; }

    /// <summary>The clip's max norm when phase S needs the clip coefficient (the chain clips and has an early structured link).</summary>
    public double? ClipNorm { get; }

    /// <summary>The links whose phase S works on the raw gradient, before the update (all but the late ones).</summary>
    public (int Index, StructuredLink Link)[] EarlyLinks { get; }

    /// <param name="splitHidden">For every parameter: launch the hidden matrices apart from the others.</param>
    private static IEnumerable<(long Start, long Length, bool Decayed, bool Hidden)> SegmentsOf(ParameterSelection selection, ParameterStore store,
                                                                                              bool splitHidden)
    {
        long decayed = store.DecayedCount, count = store.Count, start = store.HiddenStart, end = store.HiddenEnd;
        // The hidden matrices lie in [start, end), across the end of the decayed segment.
        if (selection != ParameterSelection.Others)
        {
            if (selection == ParameterSelection.All && !splitHidden)
            {
                yield return (0, decayed, true, false);
                yield return (decayed, count - decayed, false, false);
                yield break;
            }
            yield return (start, decayed - start, true, true);
            yield return (decayed, end - decayed, false, true);
        }
        if (selection != ParameterSelection.HiddenMatrices)
        {
            yield return (0, start, true, false);
            yield return (end, count - end, false, false);
        }
    }

    public void Dispose()
    {
        foreach (var link in Links) link?.Dispose();
        foreach (var slot in Slots) slot.Dispose();
        ClipScale?.Dispose();
    }
}
