using Engine.Kernels.Fusion;

namespace Engine.Optim.Structured;

/// <summary>The fused elementwise programs of a SPEC-GF step.</summary>
internal static class SpectralPrograms
{
    /// <summary>ema ← β ema + (1 − β) k g (the gradient rows the cosine graph compares; k a clip coefficient, else 1).</summary>
    public static FusedProgram GradientEma { get; } = Build("spectral_grad_ema", f =>
    {
        var ema = f.Input("ema");
        var g = f.Input("g") * f.Input("g_scale");
        var decay = f.Scalar("decay");
        f.Output("ema_out", decay * ema + (1f - decay) * g);
    });

    /// <summary>
    /// G' = G + (2 λ_spec / k) (L ΔW): the spectral regularizer's gradient added to the loss gradient G, which the caller
    /// multiplies by k later (a clip coefficient; 1 otherwise), so that k G' = k G + 2 λ_spec L ΔW.
    /// </summary>
    public static FusedProgram Penalty { get; } = Build("spectral_penalty", f =>
    {
        var g = f.Input("g");
        var lDelta = f.Input("l_delta_w");
        var gScale = f.Input("g_scale");
        var twiceLambda = f.Scalar("twice_lambda_spec");
        f.Output("g_out", g + twiceLambda * lDelta / gScale);
    });

    /// <summary>
    /// First Chebyshev step from Y = L X: T_1 = (2/λ_max) Y − X and acc = a_0 X + c_1 T_1, where a_0 = (1−ρ) + ρ c_0/2
    /// and c_1 already carries ρ, so the blend with the unfiltered X costs no extra pass.
    /// </summary>
    public static FusedProgram ChebyshevFirst { get; } = Build("spectral_cheb_first", f =>
    {
        var x = f.Input("x");
        var y = f.Input("l_x");
        var twoOverMax = f.Scalar("two_over_lambda_max");
        var a0 = f.Scalar("a0");
        var c1 = f.Scalar("c1");
        var t1 = twoOverMax * y - x;
        f.Output("t1", t1);
        f.Output("acc", a0 * x + c1 * t1);
    });

    /// <summary>T_k = 2 L̃ T_{k−1} − T_{k−2} = (4/λ_max) Y − 2 T_{k−1} − T_{k−2} with Y = L T_{k−1}; acc += c_k T_k.</summary>
    public static FusedProgram ChebyshevStep { get; } = Build("spectral_cheb_step", f =>
    {
        var y = f.Input("l_t_prev");
        var previous = f.Input("t_prev");
        var beforePrevious = f.Input("t_prev2");
        var acc = f.Input("acc");
        var fourOverMax = f.Scalar("four_over_lambda_max");
        var ck = f.Scalar("c_k");
        var tk = fourOverMax * y - 2f * previous - beforePrevious;
        f.Output("t_k", tk);
        f.Output("acc_out", acc + ck * tk);
    });

    private static FusedProgram Build(string name, Action<FusionBuilder> body)
    {
        var f = new FusionBuilder(name);
        body(f);
        return f.Build();
    }
}
