using Engine.Kernels.Fusion;

namespace Engine.Optim;

/// <summary>
/// One link of an optimizer chain, optax style: maps the incoming update u (the gradient, for the first link)
/// to a new one, reading and writing its own per-parameter state slots. A transform is written once, as a
/// fusion expression; <see cref="Optimizer"/> compiles the whole chain into one fused pass or runs it link by link.
/// The last link's output is added to the parameters: p ← p + u.
/// </summary>
public abstract class GradientTransform
{
    protected GradientTransform(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>Short snake_case name, used in program names and state slot names.</summary>
    public string Name { get; }

    /// <summary>Per-parameter state buffers (zero at the start), e.g. Adam's m and v.</summary>
    public virtual IReadOnlyList<string> StateNames => [];

    /// <summary>The state slot holding the link's first moment (Adam's m, SGD's momentum buffer), if it keeps one.</summary>
    public virtual string? FirstMomentState => null;

    /// <summary>
    /// True when the link's scalars read <see cref="StepContext.Hidden"/>: the optimizer then launches the update over the
    /// hidden matrices and the other parameters separately (four segments instead of two).
    /// </summary>
    public virtual bool UsesHiddenFlag => false;

    /// <summary>True when <see cref="Apply"/> reads <see cref="UpdateContext.GradNormSquared"/>.</summary>
    public virtual bool UsesGradNorm => false;

    /// <summary>The new update, as an expression of <paramref name="update"/> and what <paramref name="context"/> offers.</summary>
    public abstract Expr Apply(Expr update, UpdateContext context);

    public override string ToString() => Name;
}
