using MathNet.Numerics.LinearAlgebra;

namespace Engine.Optim.Structured;

/// <summary>
/// The kNN graphs over the m rows of a matrix (METHODS §3b), built on the host in double at each rebuild from the rows'
/// Gram matrix R Rᵀ (<see cref="RowGram"/>): squared distances and cosines are functions of its entries.
/// Neighbours exclude the node itself (ties go to the lower index); k is capped at m − 1; the result is
/// symmetrized with a = max(a, aᵀ).
/// </summary>
internal static class RowGraph
{
    /// <summary>
    /// a_ab = exp(−||w_a − w_b||² / σ²) for b among the k nearest rows of a, σ² = the median of the m·k squared kNN
    /// distances. When that median is 0 (mostly duplicate rows) σ² falls back to the smallest positive kNN distance,
    /// and to 1 when there is none.
    /// </summary>
    public static (Matrix<double> Adjacency, double SigmaSquared) Gaussian(Matrix<double> gram, int neighbors)
    {
        int m = gram.RowCount, k = Math.Min(neighbors, m - 1);
        var distance = Matrix<double>.Build.Dense(m, m, (a, b) => Math.Max(0, gram[a, a] + gram[b, b] - 2 * gram[a, b]));
        var nearest = Nearest(m, k, (a, b) => distance[a, b]);
        var kept = nearest.SelectMany((list, a) => list.Select(b => distance[a, b])).OrderBy(d => d).ToArray();
        double sigmaSq = kept.Length == 0 ? 1 : Median(kept);
        if (sigmaSq <= 0) sigmaSq = kept.FirstOrDefault(d => d > 0) is var smallest && smallest > 0 ? smallest : 1;
        var adjacency = Matrix<double>.Build.Dense(m, m);
        for (int a = 0; a < m; a++)
            foreach (int b in nearest[a])
                adjacency[a, b] = Math.Exp(-distance[a, b] / sigmaSq);
        return (Symmetrize(adjacency), sigmaSq);
    }

    /// <summary>a_ab = max(0, cos(ḡ_a, ḡ_b)) for b among the k rows most similar to a (cos with +1e-12 in the denominator).</summary>
    public static Matrix<double> Cosine(Matrix<double> gram, int neighbors)
    {
        int m = gram.RowCount, k = Math.Min(neighbors, m - 1);
        var cosine = Matrix<double>.Build.Dense(m, m, (a, b) => gram[a, b] / (Math.Sqrt(gram[a, a] * gram[b, b]) + 1e-12));
        var nearest = Nearest(m, k, (a, b) => -cosine[a, b]);
        var adjacency = Matrix<double>.Build.Dense(m, m);
        for (int a = 0; a < m; a++)
            foreach (int b in nearest[a])
                adjacency[a, b] = Math.Max(0, cosine[a, b]);
        return Symmetrize(adjacency);
    }

    /// <summary>For each node, the k others with the smallest <paramref name="cost"/> (lower index first on ties).</summary>
    private static int[][] Nearest(int m, int k, Func<int, int, double> cost) =>
        Enumerable.Range(0, m)
            .Select(a => Enumerable.Range(0, m).Where(b => b != a).OrderBy(b => cost(a, b)).ThenBy(b => b).Take(k).ToArray())
            .ToArray();

    private static Matrix<double> Symmetrize(Matrix<double> a) => a.PointwiseMaximum(a.Transpose());

    public static double Median(IReadOnlyList<double> sorted)
    {
        int n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
