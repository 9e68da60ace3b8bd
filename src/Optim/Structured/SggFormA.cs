namespace Engine.Optim.Structured;

/// <summary>Hyperparameters of SGG form A (METHODS §2b), with the document's defaults.</summary>
public sealed record SggFormAOptions
{
    /// <summary>α, the weight of R_dir = 1 − cos(g, d).</summary>
    public double Alpha { get; init => field = Hyperparameter.NonNegative(value, nameof(Alpha)); } = 0.1;

    /// <summary>β, the weight of R_mag = ½ max(0, ||g||/τ − 1)².</summary>
    public double Beta { get; init => field = Hyperparameter.NonNegative(value, nameof(Beta)); } = 0.1;

    /// <summary>γ, the weight of R_align = 1 − cos(g, g_s).</summary>
    public double Gamma { get; init => field = Hyperparameter.NonNegative(value, nameof(Gamma)); } = 0.1;

    /// <summary>c_τ in τ = c_τ · EMA(||g||).</summary>
    public double ClipFactor { get; init => field = Hyperparameter.Positive(value, nameof(ClipFactor)); } = 1.5;

    /// <summary>Decay of the EMA of ||g|| (bias-corrected, as in form B).</summary>
    public double NormEmaDecay { get; init => field = Hyperparameter.UnitInterval(value, nameof(NormEmaDecay)); } = 0.98;

    /// <summary>The finite-difference step along v̂ relative to ||θ||: ε = Epsilon·||θ|| (METHODS: 1e-3).</summary>
    public double Epsilon { get; init => field = Hyperparameter.Positive(value, nameof(Epsilon)); } = 1e-3;
}

/// <summary>
/// SGG form A (METHODS §2b), the faithful loss form: the gradient of L = L_tgt + α R_dir + β R_mag + γ R_align with
/// R_dir = 1 − cos(g, d) (d under stop-grad), R_mag = ½ max(0, ||g||/τ − 1)², R_align = 1 − cos(g, g_s). Its gradient is
/// g + H v + H_s v_s with H, H_s the Hessians of the target and source losses and
/// v = −α (d̂ − c ĝ)/||g|| + (β/τ) max(0, ||g||/τ − 1) ĝ − γ (ĝ_s − c_s ĝ)/||g||, v_s = −γ (ĝ − c_s ĝ_s)/||g_s||;
/// each product is a forward finite difference of the gradient along the vector, H v ≈ ||v|| (∇L(θ + ε v̂) − ∇L(θ))/ε with
/// ε = 1e-3 ||θ||, on the same batch. So a step costs two more forward/backward passes than form B's, and runs on host
/// vectors between them: the caller supplies the gradient at perturbed weights (see Trainer). Not a fused chain link.
/// </summary>
public sealed class SggFormA(SggFormAOptions? options = null)
{
    public SggFormAOptions Options { get; } = options ?? new SggFormAOptions();

    /// <summary>The EMA of ||g|| (before bias correction) and the steps taken: the state a checkpoint carries.</summary>
    public double NormEma { get; set; }

    public long Steps { get; set; }

    /// <summary>τ of the last step.</summary>
    public double Tau { get; private set; }

    /// <summary>cos(g, g_s) of the last step.</summary>
    public double CosineGradSource { get; private set; }

    /// <summary>Steps so far in which ||g|| > τ (R_mag active).</summary>
    public long MagnitudeSteps { get; set; }

    /// <summary>
    /// The gradient of the regularized loss at <paramref name="theta"/>: <paramref name="g"/> and <paramref name="gs"/> are the
    /// target and source gradients there, <paramref name="d"/> the reference direction; <paramref name="targetGradientAt"/>
    /// and <paramref name="sourceGradientAt"/> give each loss's gradient at other weights (same batches).
    /// </summary>
    public double[] Gradient(double[] theta, double[] g, double[] gs, double[] d,
                             Func<double[], double[]> targetGradientAt, Func<double[], double[]> sourceGradientAt)
    {
        int n = theta.Length;
        if (g.Length != n || gs.Length != n || d.Length != n)
            throw new ArgumentException($"SGG form A: θ has {n} values, g {g.Length}, g_s {gs.Length}, d {d.Length}");
        Steps++;
        double gNorm = Norm(g), sNorm = Norm(gs), dNorm = Norm(d);
        double decay = Options.NormEmaDecay;
        NormEma = decay * NormEma + (1 - decay) * gNorm;
        Tau = Options.ClipFactor * NormEma / (1 - Math.Pow(decay, Steps));
        CosineGradSource = gNorm > 0 && sNorm > 0 ? Dot(g, gs) / (gNorm * sNorm) : 0;
        var result = (double[])g.Clone();
        if (gNorm == 0) return result;

        var v = new double[n];
        double cDir = dNorm > 0 ? Dot(g, d) / (gNorm * dNorm) : 0;
        double excess = Math.Max(0, gNorm / Tau - 1);
        if (excess > 0) MagnitudeSteps++;
        for (int i = 0; i < n; i++)
        {
            double gHat = g[i] / gNorm;
            double direction = dNorm > 0 ? -Options.Alpha * (d[i] / dNorm - cDir * gHat) / gNorm : 0;
            double magnitude = Options.Beta / Tau * excess * gHat;
            double align = sNorm > 0 ? -Options.Gamma * (gs[i] / sNorm - CosineGradSource * gHat) / gNorm : 0;
            v[i] = direction + magnitude + align;
        }
        AddHessianProduct(result, theta, g, v, targetGradientAt);
        if (sNorm > 0 && Options.Gamma > 0)
        {
            var vs = new double[n];
            for (int i = 0; i < n; i++) vs[i] = -Options.Gamma * (g[i] / gNorm - CosineGradSource * gs[i] / sNorm) / sNorm;
            AddHessianProduct(result, theta, gs, vs, sourceGradientAt);
        }
        return result;
    }

    /// <summary>result += H v ≈ ||v|| (∇(θ + ε v̂) − ∇(θ)) / ε.</summary>
    private void AddHessianProduct(double[] result, double[] theta, double[] gradient, double[] v, Func<double[], double[]> gradientAt)
    {
        double vNorm = Norm(v);
        if (vNorm == 0) return;
        double eps = Options.Epsilon * Math.Max(Norm(theta), 1e-12);
        var shifted = new double[theta.Length];
        for (int i = 0; i < theta.Length; i++) shifted[i] = theta[i] + eps * v[i] / vNorm;
        var at = gradientAt(shifted);
        for (int i = 0; i < theta.Length; i++) result[i] += vNorm * (at[i] - gradient[i]) / eps;
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    private static double Norm(double[] a) => Math.Sqrt(Dot(a, a));
}
