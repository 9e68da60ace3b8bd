using Engine.Kernels.Fusion;

namespace Engine.Optim;

/// <summary>
/// torch.optim.SGD's momentum (dampening 0): b ← beta·b + u; u ← b, or u + beta·b with Nesterov.
/// A zero buffer makes the first step b = u, as PyTorch's clone on the first step.
/// </summary>
public sealed class Momentum : GradientTransform
{
    public Momentum(double beta, bool nesterov = false) : base(nesterov ? "nesterov_momentum" : "momentum")
    {
        Beta = Hyperparameter.UnitInterval(beta, nameof(beta));
        if (nesterov && beta == 0)
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "Nesterov momentum needs beta > 0, got 0");
        Nesterov = nesterov;
    }

    public double Beta { get; }
    public bool Nesterov { get; }

    public override IReadOnlyList<string> StateNames { get; } = ["buffer"];

    public override string? FirstMomentState => "buffer";

    public override Expr Apply(Expr update, UpdateContext context)
    {
        var beta = context.Scalar("beta", _ => Beta);
        var buffer = beta * context.State("buffer") + update;
        context.SetState("buffer", buffer);
        return Nesterov ? update + beta * buffer : buffer;
    }
}
