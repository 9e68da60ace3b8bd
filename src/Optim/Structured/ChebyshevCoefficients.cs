namespace Engine.Optim.Structured;

/// <summary>
/// Coefficients c_0..c_K of a Chebyshev approximation h(L) X ≈ (c_0/2) T_0 + Σ_{k≥1} c_k T_k on [0, λ_max], with
/// T_k the Chebyshev polynomials of L̃ = (2/λ_max) L − I (METHODS §4.5, Hammond et al. 2011).
/// </summary>
public static class ChebyshevCoefficients
{
    /// <summary>
    /// The heat kernel h(λ) = exp(−τλ) in closed form: with x = 2λ/λ_max − 1, h = e^{−τ'} e^{−τ' x}, τ' = τ λ_max / 2,
    /// and e^{−τ' x} = I_0(τ') + 2 Σ (−1)^k I_k(τ') T_k(x), so c_k = 2 e^{−τ'} (−1)^k I_k(τ'). For L_sym (λ_max = 2), τ' = τ.
    /// </summary>
    public static double[] HeatKernel(double tau, double lambdaMax, int order)
    {
        Hyperparameter.Positive(tau, nameof(tau));
        Hyperparameter.Positive(lambdaMax, nameof(lambdaMax));
        CheckOrder(order);
        double scaled = tau * lambdaMax / 2;
        if (scaled > 700)
            throw new ArgumentOutOfRangeException(nameof(tau), tau,
                $"tau·lambdaMax/2 = {scaled} exceeds 700, where e^x overflows; such a filter needs far more than {order} terms anyway");
        var c = new double[order + 1];
        for (int k = 0; k <= order; k++) c[k] = 2 * (k % 2 == 0 ? 1 : -1) * ScaledBesselI(k, scaled);
        return c;
    }

    /// <summary>
    /// Any response by Chebyshev–Gauss quadrature with N = K + 1 nodes:
    /// c_k = (2/N) Σ_j cos(k θ_j) h(λ_max (cos θ_j + 1)/2), θ_j = π (j − ½)/N.
    /// </summary>
    public static double[] Quadrature(Func<double, double> response, double lambdaMax, int order)
    {
        ArgumentNullException.ThrowIfNull(response);
        Hyperparameter.Positive(lambdaMax, nameof(lambdaMax));
        CheckOrder(order);
        int nodes = order + 1;
        var c = new double[order + 1];
        for (int j = 1; j <= nodes; j++)
        {
            double theta = Math.PI * (j - 0.5) / nodes;
            double h = response(lambdaMax * (Math.Cos(theta) + 1) / 2);
            for (int k = 0; k <= order; k++) c[k] += Math.Cos(k * theta) * h;
        }
        for (int k = 0; k <= order; k++) c[k] *= 2.0 / nodes;
        return c;
    }

    /// <summary>e^{−x} I_k(x) for x ≥ 0, by the power series Σ_j (x/2)^{2j+k} / (j! (j+k)!), scaled term by term.</summary>
    private static double ScaledBesselI(int k, double x)
    {
        double half = x / 2, term = Math.Exp(-x);
        for (int i = 1; i <= k; i++) term *= half / i;
        double sum = term;
        for (int j = 1; j < 10_000 && term > 1e-18 * sum; j++)
        {
            term *= half * half / (j * (double)(j + k));
            sum += term;
        }
        return sum;
    }

    private static void CheckOrder(int order)
    {
        if (order < 0)
            throw new ArgumentOutOfRangeException(nameof(order), order, $"the Chebyshev order must be >= 0, got {order}");
    }
}
