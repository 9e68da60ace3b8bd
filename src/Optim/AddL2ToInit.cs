using Engine.Kernels.Fusion;

namespace Engine.Optim;

/// <summary>
/// u ← u + 2λ (p − p₀), the gradient of λ ||p − p₀||² with p₀ the parameters at the optimizer's first step (kept in a
/// state slot, so a checkpoint carries it), on every parameter or only the hidden matrices. METHODS §3(c)'s control for SPEC-GF's regularizer tr(ΔWᵀ L ΔW): the same
/// pull toward the starting weights without the graph (L_sym's eigenvalues average 1, so equal λ is equal strength).
/// Place it before the base optimizer, like a gradient term.
/// </summary>
public sealed class AddL2ToInit : GradientTransform
{
    /// <param name="hiddenOnly">Pull only the hidden matrices (as SPEC-GF's regularizer does); the others pass unchanged.</param>
    public AddL2ToInit(double strength, bool hiddenOnly = false) : base("add_l2_to_init")
    {
        Strength = Hyperparameter.NonNegative(strength, nameof(strength));
        HiddenOnly = hiddenOnly;
    }

    /// <summary>λ.</summary>
    public double Strength { get; }

    public bool HiddenOnly { get; }

    public override bool UsesHiddenFlag => HiddenOnly;

    public override IReadOnlyList<string> StateNames { get; } = ["init"];

    public override Expr Apply(Expr update, UpdateContext context)
    {
        // The first step records p₀ (the slot starts at zero) and, with p = p₀, adds nothing.
        var first = context.Scalar("first_step", s => s.Step == 1 ? 1 : 0);
        var init = Fx.Where(first, context.Param, context.State("init"));
        context.SetState("init", init);
        return update + context.Scalar("two_lambda", s => HiddenOnly && !s.Hidden ? 0 : 2 * Strength) * (context.Param - init);
    }
}
