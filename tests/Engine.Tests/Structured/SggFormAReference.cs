using Engine.Optim.Structured;

namespace Engine.Tests.Structured;

/// <summary>
/// SGG form A on host vectors in double, written straight from METHODS §2b term by term (not by the vector coefficients
/// the device form gathers): g + H v + H_s v_s, each Hessian product ||v|| (∇L(θ + ε v̂) − ∇L(θ))/ε with ε = 1e-3 ||θ||,
/// and the EMA of ||g||, τ and cos(g, g_s) as <see cref="SggFormA"/> keeps them.
/// </summary>
internal sealed class SggFormAReference(SggFormAOptions options)
{
    public SggFormAOptions Options { get; } = options;
    public double NormEma { get; private set; }
    public long Steps { get; private set; }
    public double Tau { get; private set; }
    public double CosineGradSource { get; private set; }
    public long MagnitudeSteps { get; private set; }

    public double[] Gradient(double[] theta, double[] g, double[] gs, double[] d,
                             Func<double[], double[]> targetGradientAt, Func<double[], double[]> sourceGradientAt)
    {
        int n = theta.Length;
        double gNorm = HostData.Norm(g), sNorm = HostData.Norm(gs), dNorm = HostData.Norm(d);
        Steps++;
        double decay = Options.NormEmaDecay;
        NormEma = decay * NormEma + (1 - decay) * gNorm;
        Tau = Options.ClipFactor * NormEma / (1 - Math.Pow(decay, Steps));
        CosineGradSource = gNorm > 0 && sNorm > 0 ? HostData.Dot(g, gs) / (gNorm * sNorm) : 0;
        var result = (double[])g.Clone();
        if (gNorm == 0) return result;

        var v = new double[n];
        double cDir = dNorm > 0 ? HostData.Dot(g, d) / (gNorm * dNorm) : 0;
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

    private void AddHessianProduct(double[] result, double[] theta, double[] gradient, double[] v, Func<double[], double[]> gradientAt)
    {
        double vNorm = HostData.Norm(v);
        if (vNorm == 0) return;
        double eps = Options.Epsilon * Math.Max(HostData.Norm(theta), 1e-12);
        var shifted = new double[theta.Length];
        for (int i = 0; i < theta.Length; i++) shifted[i] = theta[i] + eps * v[i] / vNorm;
        var at = gradientAt(shifted);
        for (int i = 0; i < theta.Length; i++) result[i] += vNorm * (at[i] - gradient[i]) / eps;
    }
}
