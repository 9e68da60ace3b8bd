using Engine.Kernels.Fusion;

namespace Engine.Optim.Structured;

/// <summary>
/// SGG form B (METHODS §2b) as a chain link, for Chain(ClipGlobalNorm?, SggTransform, ScaleByAdam, AddDecayedWeights,
/// ScaleByLearningRate): phase R reduces the Gram entries of (g, g_s, d) with the gradient norm (d = m_{t−1}, the
/// next link's first moment; g_s the source gradient the optimizer keeps, see
/// <see cref="Optimizer.CaptureSourceGradient"/>), phase S turns them into (a, b, c) on the device, and phase U starts
/// from u = a g + b g_s + c d. Needs a later link with a first moment (Adam or SGD momentum).
/// </summary>
public sealed class SggTransform : StructuredTransform
{
    internal const string SourceGradientName = "source_gradient";
    internal const string ReferenceDirectionName = "reference_direction";

    public SggTransform(SggOptions? options = null) : base("sgg") => Options = options ?? new SggOptions();

    public SggOptions Options { get; }

    internal override IReadOnlyList<int> AddReductions(UpdateContext context)
    {
        Expr[] vectors = [context.Input(Operand.Grad, "g"), context.Flat(SourceGradientName, Options.SourcePrecision), Direction(context)];
        var indices = new List<int>();
        int k = 0;
        for (int i = 0; i < 3; i++)
            for (int j = i; j < 3; j++, k++)
                indices.Add(k == 0 && context.GradNormSquaredResult is { } gg
                    ? gg
                    : context.Reduction(SggPrograms.GramEntries[k], Fx.Dot(vectors[i], vectors[j])));
        return indices;
    }

    /// <summary>
    /// u = a g + b g_s + c d. b is 0 in every step without a conflict (⟨g, g_s⟩ ≥ 0), and the gate then skips reading g_s:
    /// such a step moves 40 B/param, not 44 (38 and 40 with g_s kept in bfloat16).
    /// </summary>
    public override Expr Apply(Expr update, UpdateContext context) =>
        context.DeviceScalar("a") * update + Fx.Gate(context.DeviceScalar("b"), context.Flat(SourceGradientName, Options.SourcePrecision))
        + context.DeviceScalar("c") * Direction(context);

    /// <summary>d: the base optimizer's first moment, or the captured direction.</summary>
    private Expr Direction(UpdateContext context) =>
        Options.ReferenceDirection == SggReferenceDirection.Captured ? context.Flat(ReferenceDirectionName) : context.FirstMoment;

    internal override StructuredLink Bind(LinkBinding binding)
    {
        if (binding.FirstMomentSlot is null && Options.ReferenceDirection == SggReferenceDirection.Momentum)
            throw new ArgumentException(
                "sgg needs a later link with a first moment (scale_by_adam, or momentum) as its direction d, or a captured direction " +
                "(SggOptions.ReferenceDirection = Captured)");
        return new SggLink(binding, Options);
    }
}
