using Engine.Kernels.Fusion;

namespace Engine.Optim.Structured;

/// <summary>The fused elementwise programs of a Muon step and of its Newton–Schulz iteration.</summary>
internal static class MuonPrograms
{
    /// <summary>The quintic's coefficients (a, b, c) from the reference implementation.</summary>
    public const float A = 3.4445f, B = -4.7750f, C = 2.0315f;

    /// <summary>M ← β M + (1 − β) k G; U = (1 − β) k G + β M (Nesterov) or M. Inputs m, g, k (k: a clip coefficient, else 1).</summary>
    public static FusedProgram Momentum(bool nesterov) => nesterov ? NesterovMomentum : PlainMomentum;

    /// <summary>X = U / (||U||_F + 1e-7), with ||U||² per matrix given (broadcast over each matrix of a batch).</summary>
    public static FusedProgram Normalize { get; } = Build("muon_normalize", f =>
    {
        var u = f.Input("u");
        var normSq = f.Input("norm_sq");
        f.Output("x", u / (Fx.Sqrt(normSq) + 1e-7f));
    });

    /// <summary>The identity (of each matrix of a batch) from a row index [m, 1] and a column index [1, m].</summary>
    public static FusedProgram Identity { get; } = Build("muon_identity", f =>
    {
        var row = f.Input("row");
        var col = f.Input("col");
        f.Output("eye", 1f - Fx.Min(1f, Fx.Abs(row - col)));
    });

    /// <summary>B = b A + c A² (A = X Xᵀ).</summary>
    public static FusedProgram Polynomial { get; } = Build("muon_ns_polynomial", f =>
    {
        var a = f.Input("a");
        var a2 = f.Input("a_sq");
        f.Output("b", B * a + C * a2);
    });

    /// <summary>X ← a X + B X.</summary>
    public static FusedProgram Update { get; } = Build("muon_ns_update", f =>
    {
        var x = f.Input("x");
        var bx = f.Input("b_x");
        f.Output("x_out", A * x + bx);
    });

    /// <summary>W ← (1 − lr·wd) W − lr·scale·X.</summary>
    public static FusedProgram Apply { get; } = Build("muon_apply", f =>
    {
        var w = f.Input("w");
        var x = f.Input("x");
        var decay = f.Scalar("decay_factor");
        var step = f.Scalar("scaled_lr");
        f.Output("w_out", decay * w - step * x);
    });

    /// <summary>Y = s·X (the orthogonalized step with its shape scale, written over the gradient in a chain).</summary>
    public static FusedProgram Scaled { get; } = Build("muon_scaled", f =>
    {
        var x = f.Input("x");
        var scale = f.Scalar("scale");
        f.Output("y", scale * x);
    });

    private static readonly FusedProgram NesterovMomentum = BuildMomentum(nesterov: true);
    private static readonly FusedProgram PlainMomentum = BuildMomentum(nesterov: false);

    private static FusedProgram BuildMomentum(bool nesterov) => Build(nesterov ? "muon_momentum_nesterov" : "muon_momentum", f =>
    {
        var m = f.Input("m");
        var g = f.Input("g") * f.Input("g_scale");
        var beta = f.Scalar("beta");
        var next = beta * m + (1f - beta) * g;
        f.Output("m_out", next);
        f.Output("u", nesterov ? (1f - beta) * g + beta * next : next);
    });

    private static FusedProgram Build(string name, Action<FusionBuilder> body)
    {
        var f = new FusionBuilder(name);
        body(f);
        return f.Build();
    }
}
