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
        int m = gram.RowCount, k = NeighborCount(m, neighbors);
        var g = ColumnMajor.Of(gram);
        var (nearest, distances) = NearestNeighbors.Of<SquaredDistance>(g, m, k);
        var sorted = (double[])distances.Clone();
        Array.Sort(sorted);
        double sigmaSq = sorted.Length == 0 ? 1 : Median(sorted);
        if (sigmaSq <= 0) sigmaSq = SmallestPositive(sorted) ?? 1;
        var weights = Array.ConvertAll(distances, d => Math.Exp(-d / sigmaSq));
        return (Symmetrized(m, k, nearest, weights), sigmaSq);
    }

    /// <summary>a_ab = max(0, cos(ḡ_a, ḡ_b)) for b among the k rows most similar to a (cos with +1e-12 in the denominator).</summary>
    public static Matrix<double> Cosine(Matrix<double> gram, int neighbors)
    {
        int m = gram.RowCount, k = NeighborCount(m, neighbors);
        var g = ColumnMajor.Of(gram);
        var (nearest, negated) = NearestNeighbors.Of<NegatedCosine>(g, m, k);
        // Negation is exact, so −cost is the cosine bit for bit.
        var weights = Array.ConvertAll(negated, cost => Math.Max(0, -cost));
        return Symmetrized(m, k, nearest, weights);
    }

    public static double Median(IReadOnlyList<double> sorted)
    {
        int n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static int NeighborCount(int m, int neighbors) => Math.Max(0, Math.Min(neighbors, m - 1));

    /// <summary>||w_a − w_b||² = g_aa + g_bb − 2 g_ab, at least 0 (rounding can take it below).</summary>
    private readonly struct SquaredDistance : NearestNeighbors.ICost
    {
        public static double Of(double gramAA, double gramBB, double gramAB) => Math.Max(0, gramAA + gramBB - 2 * gramAB);
    }

    /// <summary>−cos(w_a, w_b): the most similar rows cost least.</summary>
    private readonly struct NegatedCosine : NearestNeighbors.ICost
    {
        public static double Of(double gramAA, double gramBB, double gramAB) => -(gramAB / (Math.Sqrt(gramAA * gramBB) + 1e-12));
    }

    private static double? SmallestPositive(double[] sorted)
    {
        foreach (double d in sorted)
            if (d > 0) return d;
        return null;
    }

    /// <summary>
    /// max(a, aᵀ) of the directed kNN graph (node a's edges at [a·k, (a+1)·k)), entries absent from it 0. Taking the max
    /// edge by edge gives the same values: the weights are never negative, and max(0, w) = w for w ≥ 0 (also w = +0).
    /// </summary>
    private static Matrix<double> Symmetrized(int m, int k, int[] nearest, double[] weights)
    {
        var adjacency = new double[m * m];
        for (int edge = 0; edge < nearest.Length; edge++)
        {
            int a = edge / k, b = nearest[edge];
            double w = weights[edge];
            adjacency[a * m + b] = Math.Max(adjacency[a * m + b], w);
            adjacency[b * m + a] = Math.Max(adjacency[b * m + a], w);
        }
        return ColumnMajor.Wrap(m, m, adjacency);
    }
}
