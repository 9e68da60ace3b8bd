using Engine.Kernels.Fusion;

namespace Engine.Optim;

/// <summary>
/// Adam's direction, as PyTorch computes it: m ← b1·m + (1−b1)·u; v ← b2·v + (1−b2)·u²;
/// u ← (m / (1−b1^t)) / (sqrt(v) / sqrt(1−b2^t) + eps). Bias corrections are per-step scalars.
/// </summary>
public sealed class ScaleByAdam : GradientTransform
{
    public ScaleByAdam(double b1 = 0.9, double b2 = 0.999, double eps = 1e-8) : base("scale_by_adam")
    {
        B1 = Hyperparameter.UnitInterval(b1, nameof(b1));
        B2 = Hyperparameter.UnitInterval(b2, nameof(b2));
        Eps = Hyperparameter.Positive(eps, nameof(eps));
    }

    public double B1 { get; }
    public double B2 { get; }
    public double Eps { get; }

    public override IReadOnlyList<string> StateNames { get; } = ["m", "v"];

    public override string? FirstMomentState => "m";

    public override Expr Apply(Expr update, UpdateContext context)
    {
        var b1 = context.Scalar("b1", _ => B1);
        var oneMinusB1 = context.Scalar("one_minus_b1", _ => 1 - B1);
        var b2 = context.Scalar("b2", _ => B2);
        var oneMinusB2 = context.Scalar("one_minus_b2", _ => 1 - B2);
        var invBias1 = context.Scalar("inv_bias_correction1", s => 1 / (1 - Math.Pow(B1, s.Step)));
        var invSqrtBias2 = context.Scalar("inv_sqrt_bias_correction2", s => 1 / Math.Sqrt(1 - Math.Pow(B2, s.Step)));
        var eps = context.Scalar("eps", _ => Eps);

        var m = b1 * context.State("m") + oneMinusB1 * update;
        var v = b2 * context.State("v") + oneMinusB2 * (update * update);
        context.SetState("m", m);
        context.SetState("v", v);
        return m * invBias1 / (Fx.Sqrt(v) * invSqrtBias2 + eps);
    }
}
