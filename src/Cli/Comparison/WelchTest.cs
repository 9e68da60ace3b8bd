using MathNet.Numerics.Distributions;
using MathNet.Numerics.Statistics;

namespace Engine.Cli.Comparison;

/// <summary>
/// Welch's two-sample t-test (unequal variances) of mean(a) − mean(b): the statistic, the Welch–Satterthwaite
/// degrees of freedom and the two-sided p-value from Student's t distribution.
/// </summary>
internal readonly record struct WelchTest(double Difference, double T, double DegreesOfFreedom, double PValue)
{
    /// <summary>
    /// The test of <paramref name="a"/> against <paramref name="b"/>; null when either sample has fewer than two values
    /// or neither varies (the statistic is undefined; identical deterministic runs are an example).
    /// </summary>
    public static WelchTest? Compare(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count < 2 || b.Count < 2) return null;
        double va = a.Variance() / a.Count, vb = b.Variance() / b.Count;
        double se2 = va + vb;
        if (!(se2 > 0)) return null;
        double difference = a.Mean() - b.Mean();
        double t = difference / Math.Sqrt(se2);
        double df = se2 * se2 / (va * va / (a.Count - 1) + vb * vb / (b.Count - 1));
        double p = 2 * StudentT.CDF(0, 1, df, -Math.Abs(t));
        return new WelchTest(difference, t, df, Math.Min(1, p));
    }
}
