using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;

namespace Engine.Optim.Structured;

/// <summary>The three fused programs of an SGG form-B step: Gram reduction, coefficients, combination.</summary>
internal static class SggPrograms
{
    /// <summary>Reduction names of <see cref="Gram"/>, in order.</summary>
    public static readonly string[] GramEntries = ["gg", "gs", "gd", "ss", "sd", "dd"];

    /// <summary>Output order of <see cref="Coefficients"/>: a, b, c, cos(g, g_s), τ, the new EMA, the new clip count.</summary>
    public const int CoefficientOutputs = 7;

    /// <summary>
    /// Phase R: the six Gram entries of (g, g_s, d) in one read of the three buffers (fp64 accumulation); g_s stored as
    /// <paramref name="source"/>.
    /// </summary>
    public static FusedProgram Gram(DType source) => source == DType.BFloat16 ? GramBf16 : GramFp32;

    /// <summary>
    /// From the Gram entries and the norm EMA to (a, b, c) with u = a g + b g_s + c d, on one element: conflict
    /// projection (plus γ_s g_s' when joint source training is on), direction blend, adaptive clip (METHODS §2b steps
    /// 1-3), plus the metrics and the new state. Scalars: <see cref="CoefficientScalars"/>.
    /// Inputs: gg, gs, gd, ss, sd, dd, the norm EMA, the clip count, and g_scale k: the entries are of g, the
    /// coefficients for k·g (a chain's clip coefficient; 1 standalone).
    /// </summary>
    public static FusedProgram Coefficients { get; } = BuildCoefficients();

    /// <summary>The scalar arguments of <see cref="Coefficients"/> for step <paramref name="step"/> (1-based) under <paramref name="options"/>.</summary>
    public static float[] CoefficientScalars(SggOptions options, long step)
    {
        double decay = options.NormEmaDecay;
        return
        [
            (float)options.Alpha, (float)decay, (float)(1 / (1 - Math.Pow(decay, step))),
            (float)(options.ClipFactor ?? 0), options.ClipFactor is null ? 0f : 1f, (float)options.SourceWeight,
            options.ConflictProjection ? 1f : 0f,
        ];
    }

    /// <summary>
    /// Phase U: u = a g + b g_s + c d, with a, b, c read from device memory (broadcast); g_s stored as
    /// <paramref name="source"/>. b = 0 in a step without a conflict, and the gate then skips reading g_s.
    /// </summary>
    public static FusedProgram Combine(DType source) => source == DType.BFloat16 ? CombineBf16 : CombineFp32;

    private static readonly FusedProgram GramFp32 = BuildGram(DType.Float32), GramBf16 = BuildGram(DType.BFloat16);
    private static readonly FusedProgram CombineFp32 = BuildCombine(DType.Float32), CombineBf16 = BuildCombine(DType.BFloat16);

    private static FusedProgram BuildGram(DType source)
    {
        var f = new FusionBuilder("sgg_gram");
        var g = f.Input("g");
        var s = f.Input("g_s", source);
        var d = f.Input("d");
        Expr[] vectors = [g, s, d];
        int k = 0;
        for (int i = 0; i < 3; i++)
            for (int j = i; j < 3; j++)
                f.Reduction(GramEntries[k++], Fx.Dot(vectors[i], vectors[j]));
        return f.Build();
    }

    private static FusedProgram BuildCoefficients()
    {
        const float tiny = 1e-30f;
        var f = new FusionBuilder("sgg_coefficients");
        var rawGg = f.Input("gg");
        var rawGs = f.Input("gs");
        var rawGd = f.Input("gd");
        var ss = f.Input("ss");
        var sd = f.Input("sd");
        var dd = f.Input("dd");
        var ema = f.Input("norm_ema");
        var clipCount = f.Input("clip_count");
        // The entries were reduced over g, but the step is for k·g (k: a preceding clip's coefficient, else 1).
        var gScale = f.Input("g_scale");
        var gg = rawGg * (gScale * gScale);
        var gs = rawGs * gScale;
        var gd = rawGd * gScale;
        var alpha = f.Scalar("alpha");
        var decay = f.Scalar("ema_decay");
        var invBias = f.Scalar("inv_bias_correction");
        var clipFactor = f.Scalar("clip_factor");
        var clipEnabled = f.Scalar("clip_enabled");
        var gamma = f.Scalar("source_weight");
        var projectionEnabled = f.Scalar("projection_enabled");

        // 1. Conflict removal: g' = g + p g_s, p = -<g,g_s>/||g_s||² when <g,g_s> < 0; with joint source training also
        //    + γ_s g_s', g_s' = g_s + q g, q = -<g,g_s>/||g||² (PCGrad's symmetric projection), so g' = e g + p g_s.
        var conflict = projectionEnabled * Fx.Less(gs, 0f) * Fx.Greater(ss, 0f);
        var projection = Fx.Where(conflict, -gs / Fx.Max(ss, tiny), 0f);
        var q = Fx.Where(conflict, -gs / Fx.Max(gg, tiny), 0f);
        var e = 1f + gamma * q;
        var p = projection + gamma;
        var norm1 = Fx.Sqrt(Fx.Max(e * e * gg + 2f * e * p * gs + p * p * ss, 0f));
        var dotPrimeD = e * gd + p * sd;

        // 2. Direction blend: g'' = ||g'|| w/||w||, w = (1-α) g'/||g'|| + α d/||d|| = k1 g' + k2 d.
        var normD = Fx.Sqrt(dd);
        var cosPrimeD = dotPrimeD / Fx.Max(norm1 * normD, tiny);
        var normW = Fx.Sqrt(Fx.Max((1f - alpha) * (1f - alpha) + alpha * alpha + 2f * alpha * (1f - alpha) * cosPrimeD, 0f));
        var blend = Fx.Greater(alpha, 0f) * Fx.Greater(normD, 0f) * Fx.Greater(norm1, 0f) * Fx.Greater(normW, 1e-12f);
        var k1 = Fx.Where(blend, (1f - alpha) / Fx.Max(normW, tiny), 1f);
        var k2 = Fx.Where(blend, alpha * norm1 / Fx.Max(normD * normW, tiny), 0f);

        // 3. Adaptive clip: u = g'' min(1, τ/||g''||), ||g''|| = ||g'||, τ = c_τ · EMA(||g||) (bias-corrected).
        var newEma = decay * ema + (1f - decay) * Fx.Sqrt(gg);
        var tau = clipFactor * newEma * invBias;
        var clipped = clipEnabled * Fx.Greater(norm1, tau);
        var scale = Fx.Where(clipped, tau / Fx.Max(norm1, tiny), 1f);

        f.Output("a", scale * k1 * e);
        f.Output("b", scale * k1 * p);
        f.Output("c", scale * k2);
        f.Output("cos_g_gs", gs / (Fx.Sqrt(gg) * Fx.Sqrt(ss) + 1e-12f));
        f.Output("tau", tau);
        f.Output("norm_ema_out", newEma);
        f.Output("clip_count_out", clipCount + clipped);
        return f.Build();
    }

    private static FusedProgram BuildCombine(DType source)
    {
        var f = new FusionBuilder("sgg_combine");
        var g = f.Input("g");
        var s = f.Input("g_s", source);
        var d = f.Input("d");
        var a = f.Input("a");
        var b = f.Input("b");
        var c = f.Input("c");
        f.Output("u", a * g + Fx.Gate(b, s) + c * d);
        return f.Build();
    }
}
