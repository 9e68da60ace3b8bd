using Engine.Kernels.Fusion;

namespace Engine.Optim.Structured;

/// <summary>The fused programs of a CGFM step.</summary>
internal static class CgfmPrograms
{
    /// <summary>||x||² of a gradient (a reduction, no output).</summary>
    public static FusedProgram SumSquares { get; } = BuildSumSquares();

    /// <summary>
    /// From the global sums (Σ||G||², Σ||G_glob||², Σ||P||² of pass-through params, λ = 1) to s_t and
    /// ||g_glob||/||g||, on the device. Literal also takes and refreshes the frozen ||g_0|| (scalar "first" = 1 at step 0).
    /// </summary>
    public static FusedProgram Multiplier(CgfmStepRule rule) => rule switch
    {
        CgfmStepRule.Relative => RelativeMultiplier,
        CgfmStepRule.Literal => LiteralMultiplier,
        _ => UnitMultiplier,
    };

    private static readonly FusedProgram RelativeMultiplier = BuildMultiplier(CgfmStepRule.Relative);
    private static readonly FusedProgram LiteralMultiplier = BuildMultiplier(CgfmStepRule.Literal);
    private static readonly FusedProgram UnitMultiplier = BuildMultiplier(CgfmStepRule.Unit);

    private static FusedProgram BuildSumSquares()
    {
        var f = new FusionBuilder("cgfm_pass_through_sq");
        f.Reduction("p_sq", Fx.SumSquares(f.Input("p")));
        return f.Build();
    }

    private static FusedProgram BuildMultiplier(CgfmStepRule rule)
    {
        var f = new FusionBuilder("cgfm_multiplier_" + rule.ToString().ToLowerInvariant());
        var matrixSq = f.Input("matrix_sq");
        var globSq = f.Input("glob_sq");
        var passSq = f.Input("pass_sq");
        var lambdaLocalSq = f.Scalar("lambda_local_sq");
        var lambdaGlobalSq = f.Scalar("lambda_global_sq");
        var localSq = Fx.Max(matrixSq - globSq, 0f);
        var adjNorm = Fx.Sqrt(lambdaLocalSq * localSq + lambdaGlobalSq * globSq + passSq);
        var norm = Fx.Sqrt(matrixSq + passSq);
        Expr multiplier;
        switch (rule)
        {
            case CgfmStepRule.Relative:
                multiplier = 1f + adjNorm / (norm + 1e-12f);
                break;
            case CgfmStepRule.Literal:
                var initial = f.Input("initial_norm");
                var first = f.Scalar("first");
                var frozen = Fx.Where(first, norm, initial);
                f.Output("initial_norm_out", frozen);
                multiplier = 1f + adjNorm / (frozen + 1e-12f);
                break;
            default:
                multiplier = Expr.Constant(1f);
                break;
        }
        f.Output("step_multiplier", multiplier);
        f.Output("global_fraction", Fx.Sqrt(globSq) / (norm + 1e-12f));
        return f.Build();
    }
}
