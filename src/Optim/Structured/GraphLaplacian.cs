using MathNet.Numerics.LinearAlgebra;

namespace Engine.Optim.Structured;

/// <summary>Laplacians of a symmetric adjacency matrix and the spectral bound the Chebyshev filter needs.</summary>
internal static class GraphLaplacian
{
    private const int PowerIterations = 20;
    private const double PowerMargin = 1.01;

    public static Matrix<double> Build(Matrix<double> adjacency, LaplacianKind kind)
    {
        int m = adjacency.RowCount;
        var degree = adjacency.RowSums();
        if (kind == LaplacianKind.Combinatorial)
            return Matrix<double>.Build.DenseOfDiagonalVector(degree) - adjacency;
        // Isolated nodes (degree 0) get D^-1/2 = 0, so their row is the identity's and the spectrum stays in [0, 2].
        var scale = degree.Map(d => d > 0 ? 1 / Math.Sqrt(d) : 0);
        return Matrix<double>.Build.Dense(m, m, (a, b) => (a == b ? 1 : 0) - scale[a] * adjacency[a, b] * scale[b]);
    }

    /// <summary>
    /// The λ_max the Chebyshev filter maps onto +1: 2 for L_sym (its bound), otherwise the Rayleigh quotient after
    /// 20 power iterations from a fixed pseudo-random start, × 1.01 (METHODS §3b); at least 1e-12, so an edgeless graph
    /// (L = 0) still gets a valid interval.
    /// </summary>
    public static double LambdaMax(Matrix<double> laplacian, LaplacianKind kind)
    {
        if (kind == LaplacianKind.Symmetric) return 2;
        var rng = new Random(0x5eed);
        var v = Vector<double>.Build.Dense(laplacian.RowCount, _ => rng.NextDouble() - 0.5);
        v /= v.L2Norm();
        for (int i = 0; i < PowerIterations; i++)
        {
            var next = laplacian * v;
            double norm = next.L2Norm();
            if (norm == 0) return 1e-12;
            v = next / norm;
        }
        return Math.Max(PowerMargin * (v * (laplacian * v)), 1e-12);
    }
}
