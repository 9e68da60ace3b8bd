using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace Engine.Optim.Structured;

/// <summary>
/// The top-r eigenvectors of a small symmetric positive semi-definite matrix (a Gram matrix GGᵀ or GᵀG), as the columns
/// of an s×r matrix in descending order of eigenvalue: exactly, or by randomized subspace iteration (METHODS §1b).
/// </summary>
internal static class TopEigenvectors
{
    /// <summary>Extra columns of the randomized start beyond r, and power iterations (METHODS §1b: r + 4, 2).</summary>
    public const int Oversampling = 4, PowerIterations = 2;

    /// <summary>Full symmetric eigendecomposition, the top <paramref name="rank"/> vectors kept.</summary>
    public static Matrix<double> Exact(Matrix<double> gram, int rank) => Top(SymmetricEigen.Of(gram), rank);

    /// <summary>
    /// Randomized subspace iteration: a Gaussian start of width l = r + 4 (seeded by <paramref name="seed"/>, so a refresh
    /// is reproducible), two power iterations with a QR after each product, then the top r Ritz vectors of the l×l
    /// projection QᵀAQ. O(s²·l) instead of the full decomposition's O(s³); exact when l reaches s.
    /// </summary>
    public static Matrix<double> Randomized(Matrix<double> gram, int rank, ulong seed)
    {
        int s = gram.RowCount, width = Math.Min(s, rank + Oversampling);
        if (width == s) return Exact(gram, rank);
        var random = new SplitMix(seed);
        var q = Matrix<double>.Build.Dense(s, width, (_, _) => random.NextGaussian());
        q = (gram * q).QR(QRMethod.Thin).Q;
        for (int i = 0; i < PowerIterations; i++) q = (gram * q).QR(QRMethod.Thin).Q;
        var projected = q.TransposeThisAndMultiply(gram * q);
        projected = (projected + projected.Transpose()) * 0.5;
        return q * Top(SymmetricEigen.Of(projected), rank);
    }

    /// <summary>The last <paramref name="rank"/> eigenvectors (the largest eigenvalues), largest first, as columns.</summary>
    private static Matrix<double> Top(SymmetricEigen eigen, int rank)
    {
        int s = eigen.Size;
        var columns = new double[s * rank];
        for (int c = 0; c < rank; c++) eigen.Row(s - 1 - c).CopyTo(columns.AsSpan(c * s, s));
        return ColumnMajor.Wrap(s, rank, columns);
    }

    /// <summary>SplitMix64 with Box–Muller: the same Gaussian draws on every machine and .NET version.</summary>
    private sealed class SplitMix
    {
        private ulong _state;
        private double? _spare;

        /// <summary>
        /// The seed goes through the mixing function first: seeds that differ by a multiple of the increment (step·γ + matrix,
        /// one refresh period apart) would otherwise give the same sequence shifted.
        /// </summary>
        public SplitMix(ulong seed) => _state = Mix(seed);

        public double NextGaussian()
        {
            if (_spare is { } spare) { _spare = null; return spare; }
            double u = (Next() >> 11) * (1.0 / (1UL << 53)), v = (Next() >> 11) * (1.0 / (1UL << 53));
            double radius = Math.Sqrt(-2 * Math.Log(1 - u)), angle = 2 * Math.PI * v;
            _spare = radius * Math.Sin(angle);
            return radius * Math.Cos(angle);
        }

        private ulong Next() => Mix(_state += 0x9E37_79B9_7F4A_7C15);

        private static ulong Mix(ulong z)
        {
            z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9;
            z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB;
            return z ^ (z >> 31);
        }
    }
}
