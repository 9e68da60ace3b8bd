using Engine.Kernels.Fusion;

namespace Engine.Optim;

/// <summary>
/// A chain link with per-matrix dense work (CGFM, SGG, SPEC-GF, Muon). Besides its elementwise part
/// (<see cref="GradientTransform.Apply"/>, fused into phase U) it may add global reductions to phase R
/// (<see cref="AddReductions"/>) and runs phase S between R and U: dense work on the 2-D hidden matrices
/// (<see cref="ParameterStore.HiddenMatrices"/>) that writes the effective gradient in place and sets the link's
/// device scalars, which U reads as broadcast operands — no host round trip.
/// <para>
/// A clip before the link scales the gradient by c = min(1, max/||g||). Phase S sees the raw gradient plus c as a
/// device scalar, and writes G' such that U's c·G' is what the method gives for c·g (the links are linear in g
/// or fold c in); a link that cannot (Muon normalizes) sets <see cref="AbsorbsInputScale"/> and applies c itself.
/// Run transform by transform, S instead reads the clipped update buffer, which checks exactly that identity.
/// </para>
/// </summary>
public abstract class StructuredTransform : GradientTransform
{
    /// <summary>The device scalar a link that <see cref="ScalesLearningRate"/> multiplies the learning rate by.</summary>
    public const string StepMultiplierName = "step_multiplier";

    protected StructuredTransform(string name) : base(name) { }

    /// <summary>Phase S needs ||g||² of phase R (reduced over the raw gradient of every parameter).</summary>
    public virtual bool RequiresGradNorm => false;

    /// <summary>
    /// Phase S reads every gradient element anyway and can give ||g||² over the whole store itself
    /// (<see cref="StructuredInput.GradNormTarget"/>), so a single-chain optimizer skips phase R's pass over the gradient.
    /// The norm is then summed in another order than phase R's: equal up to rounding, not bit for bit.
    /// </summary>
    internal virtual bool ReducesGradNormItself => false;

    /// <summary>The link exposes <see cref="StepMultiplierName"/>, by which the learning rate (not the decay) is multiplied.</summary>
    public virtual bool ScalesLearningRate => false;

    /// <summary>Phase S applies the preceding clip's coefficient itself, so U must not apply it again.</summary>
    public virtual bool AbsorbsInputScale => false;

    /// <summary>
    /// The link may also stand later in a chain, after the base optimizer's direction (SPEC-GF filtering the AdamW update,
    /// METHODS §3b's variant): the fused update then splits there into two passes through an update buffer, with the
    /// link's phase S between them on that buffer. Such a link adds no reductions and scales nothing global.
    /// </summary>
    public virtual bool MayFilterUpdate => false;

    /// <summary>Whether the link may run on a group of parameters that are not the hidden matrices (Muon may not).</summary>
    internal virtual bool HiddenMatricesOnly => false;

    /// <summary>
    /// Reductions this link adds to the fused phase R (over the whole store, raw gradient); returns their result indices,
    /// which phase S receives as <see cref="StructuredInput.Reduced"/> in that order. None by default.
    /// </summary>
    internal virtual IReadOnlyList<int> AddReductions(UpdateContext context) => [];

    /// <summary>The link's device state for one optimizer: matrices, bases, scalars.</summary>
    internal abstract StructuredLink Bind(LinkBinding binding);

    /// <summary>The update unchanged: most links only rewrite the gradient in phase S.</summary>
    public override Expr Apply(Expr update, UpdateContext context) => update;
}
