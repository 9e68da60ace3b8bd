using Engine.Optim.Structured;
using MathNet.Numerics.LinearAlgebra;

namespace Engine.Tests.Structured;

/// <summary>
/// The kNN graphs and Laplacians as first written, entry by entry through MathNet's indexers with LINQ sorting each row:
/// the straightforward statement of <see cref="RowGraph"/> and <see cref="GraphLaplacian.Build"/>, which now work on
/// the arrays with a bounded selection and must give the same bits.
/// </summary>
internal static class RowGraphReference
{
    public static (Matrix<double> Adjacency, double SigmaSquared) Gaussian(Matrix<double> gram, int neighbors)
    {
        int m = gram.RowCount, k = Math.Min(neighbors, m - 1);
        var distance = Matrix<double>.Build.Dense(m, m, (a, b) => Math.Max(0, gram[a, a] + gram[b, b] - 2 * gram[a, b]));
        var nearest = Nearest(m, k, (a, b) => distance[a, b]);
        var kept = nearest.SelectMany((list, a) => list.Select(b => distance[a, b])).OrderBy(d => d).ToArray();
        double sigmaSq = kept.Length == 0 ? 1 : RowGraph.Median(kept);
        if (sigmaSq <= 0) sigmaSq = kept.FirstOrDefault(d => d > 0) is var smallest && smallest > 0 ? smallest : 1;
        var adjacency = Matrix<double>.Build.Dense(m, m);
        for (int a = 0; a < m; a++)
            foreach (int b in nearest[a])
                adjacency[a, b] = Math.Exp(-distance[a, b] / sigmaSq);
        return (adjacency.PointwiseMaximum(adjacency.Transpose()), sigmaSq);
    }

    public static Matrix<double> Cosine(Matrix<double> gram, int neighbors)
    {
        int m = gram.RowCount, k = Math.Min(neighbors, m - 1);
        var cosine = Matrix<double>.Build.Dense(m, m, (a, b) => gram[a, b] / (Math.Sqrt(gram[a, a] * gram[b, b]) + 1e-12));
        var nearest = Nearest(m, k, (a, b) => -cosine[a, b]);
        var adjacency = Matrix<double>.Build.Dense(m, m);
        for (int a = 0; a < m; a++)
            foreach (int b in nearest[a])
                adjacency[a, b] = Math.Max(0, cosine[a, b]);
        return adjacency.PointwiseMaximum(adjacency.Transpose());
    }

    public static Matrix<double> Laplacian(Matrix<double> adjacency, LaplacianKind kind)
    {
        int m = adjacency.RowCount;
        var degree = adjacency.RowSums();
        if (kind == LaplacianKind.Combinatorial)
            return Matrix<double>.Build.DenseOfDiagonalVector(degree) - adjacency;
        var scale = degree.Map(d => d > 0 ? 1 / Math.Sqrt(d) : 0);
        return Matrix<double>.Build.Dense(m, m, (a, b) => (a == b ? 1 : 0) - scale[a] * adjacency[a, b] * scale[b]);
    }

    private static int[][] Nearest(int m, int k, Func<int, int, double> cost) =>
        Enumerable.Range(0, m)
            .Select(a => Enumerable.Range(0, m).Where(b => b != a).OrderBy(b => cost(a, b)).ThenBy(b => b).Take(k).ToArray())
            .ToArray();
}
