using Engine.Kernels.Devices;
using Engine.Tensors;

namespace Engine.Optim;

/// <summary>
/// What phase S of a structured link works on. <see cref="Flat"/> is the store-sized buffer it reads and rewrites in
/// place (the gradient in a fused step, the update buffer transform by transform); <see cref="Scale"/> is the clip
/// coefficient c the gradient still has to be multiplied by (rank-0, device; null for 1); <see cref="FlatNormSquared"/> is
/// ||Flat||² from phase R when known (null: the link reduces it itself, if it needs it); <see cref="Reduced"/> holds the link's own
/// phase-R results over the raw gradient (rank-0 device views) when they ran (null transform by transform).
/// </summary>
internal sealed record StructuredInput(Tensor Flat, Tensor? Scale, Tensor? FlatNormSquared, IReadOnlyList<Tensor>? Reduced, StepContext Step)
{
    /// <summary>
    /// Set when phase R was skipped for a link that <see cref="StructuredTransform.ReducesGradNormItself"/>: the link writes
    /// ||g||² of the raw gradient here (rank-0, device) and then, when <see cref="ClipNorm"/> is set, the clip coefficient
    /// min(1, max / (||g|| + 1e-6)) into <see cref="Scale"/>.
    /// </summary>
    public Tensor? GradNormTarget { get; init; }

    /// <summary>The chain's clip threshold, with <see cref="GradNormTarget"/>.</summary>
    public double? ClipNorm { get; init; }
}

/// <summary>Everything a structured link is bound to in one optimizer.</summary>
/// <param name="Matrices">The hidden matrices of the group the link runs on (row blocks split).</param>
/// <param name="Slots">The group's state slots, store-sized, in chain slot order.</param>
/// <param name="FirstSlot">The link's first own slot.</param>
/// <param name="FirstMomentSlot">The slot of the first moment of a later link, if there is one.</param>
internal sealed record LinkBinding(
    ComputeDevice Device,
    ParameterStore Store,
    IReadOnlyList<HiddenMatrix> Matrices,
    IReadOnlyList<Tensor> Slots,
    int FirstSlot,
    int? FirstMomentSlot);

/// <summary>
/// The device side of a structured link in one optimizer: phase S, the device scalars and flat buffers phase U binds,
/// the metrics read on log steps, and the state a checkpoint must carry beyond the store-sized slots.
/// </summary>
internal abstract class StructuredLink : IDisposable
{
    /// <summary>Phase S of one step.</summary>
    public abstract void Run(StructuredInput input);

    /// <summary>Where device scalar <paramref name="name"/> lives.</summary>
    public virtual BufferSlice Scalar(string name) => throw Unknown("device scalar", name);

    /// <summary>The store-sized buffer <paramref name="name"/>.</summary>
    public virtual Tensor Flat(string name) => throw Unknown("flat buffer", name);

    /// <summary>Adds the link's logging scalars (reads the device: call on log steps only).</summary>
    public virtual void ReadMetrics(IDictionary<string, double> metrics) { }

    /// <summary>State beyond the store-sized slots (bases, graphs, EMAs), by key.</summary>
    public virtual IEnumerable<(string Key, float[] Values)> ExportExtras() => [];

    /// <summary>Restores what <see cref="ExportExtras"/> wrote, for an optimizer that has taken <paramref name="step"/> steps.</summary>
    public virtual void ImportExtras(IReadOnlyDictionary<string, float[]> extras, long step) { }

    public virtual void Dispose() { }

    /// <summary>A view of the dense [rows, cols] matrix <paramref name="m"/> in the store-sized <paramref name="flat"/>.</summary>
    protected static Tensor View(Tensor flat, HiddenMatrix m)
    {
        using var segment = flat.Slice(0, checked((int)m.Offset), checked((int)m.Count));
        return segment.Reshape(m.Rows, m.Cols);
    }

    /// <summary>A view of run <paramref name="run"/>'s matrices in <paramref name="flat"/>: dense [count, rows, cols].</summary>
    protected static Tensor View(Tensor flat, MatrixRun run)
    {
        using var segment = flat.Slice(0, checked((int)run.Offset), checked((int)run.Elements));
        return segment.Reshape(run.Count, run.Rows, run.Cols);
    }

    /// <summary>The extra named <paramref name="key"/>, checked to hold <paramref name="length"/> values.</summary>
    protected static float[] Extra(IReadOnlyDictionary<string, float[]> extras, string key, long length)
    {
        if (!extras.TryGetValue(key, out var values))
            throw new ArgumentException($"ImportState: the state lacks '{key}' (has: {string.Join(", ", extras.Keys)})");
        if (values.Length != length)
            throw new ArgumentException($"ImportState: '{key}' holds {values.Length} values, expected {length}");
        return values;
    }

    private InvalidOperationException Unknown(string what, string name) => new($"{GetType().Name} has no {what} '{name}'");
}

/// <summary>A link whose reference direction may be a gradient it keeps in its own store-sized buffer (SGG's support-set direction).</summary>
internal interface IReferenceDirectionLink
{
    /// <summary>Whether the link takes a captured direction (else its direction is the optimizer's momentum).</summary>
    bool CapturesReferenceDirection { get; }

    /// <summary>Copies <paramref name="gradients"/> (store-sized) into the direction buffer.</summary>
    void CaptureReferenceDirection(Tensor gradients);
}

/// <summary>A link that reads a source gradient g_s kept in its own store-sized buffer (SGG).</summary>
internal interface ISourceGradientLink
{
    /// <summary>Copies <paramref name="gradients"/> (store-sized) into the source-gradient buffer.</summary>
    void CaptureSourceGradient(Tensor gradients);
}
