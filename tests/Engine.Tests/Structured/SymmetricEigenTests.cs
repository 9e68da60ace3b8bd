using Engine.Optim.Structured;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;
using Xunit;

namespace Engine.Tests.Structured;

public class SymmetricEigenTests
{
    private const double Epsilon = 1.1e-16;

    /// <summary>The kinds of symmetric matrix drawn: each stresses another part of the reduction or of the QL sweeps.</summary>
    private enum Kind { Dense, RepeatedValues, Diagonal, DisconnectedLaplacian, AlreadyTridiagonal, Zero }

    // Sizes around the single-core threshold (192), across several of the 64-column panels the reflectors and rotations
    // run over, and past a ragged last panel (530).
    private static readonly Gen<int> Size = Gen.OneOf(Gen.Choose(1, 16), Gen.Choose(1, 16), Gen.Elements(191, 192, 257, 530));

    [Fact]
    public void DecomposesEverySymmetricMatrixIntoOrthonormalEigenvectorsWithTheReferencesEigenvalues()
    {
        var cases = from n in Size
                    from kind in Gen.Elements(Enum.GetValues<Kind>())
                    from scale in Gen.Elements(1e-6, 1.0, 1e6)
                    from seed in Gen.Choose(0, int.MaxValue)
                    select (n, kind, scale, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var a = Draw(c.n, c.kind, new Random(c.seed)) * c.scale;
            var eigen = SymmetricEigen.Of(a);
            double norm = Math.Max(a.FrobeniusNorm(), double.Epsilon);
            double tolerance = 64 * c.n * Epsilon;

            var reference = a.Evd(Symmetricity.Symmetric).EigenValues.Select(z => z.Real).Order().ToArray();
            for (int k = 0; k < c.n; k++)
            {
                if (k > 0) Assert.True(eigen.Values[k - 1] <= eigen.Values[k], $"{c}: eigenvalues not ascending at {k}");
                Assert.True(Math.Abs(eigen.Values[k] - reference[k]) <= tolerance * norm,
                            $"{c}: λ_{k} {eigen.Values[k]} vs MathNet's {reference[k]}");
            }
            var z = eigen.VectorColumns();   // column k: eigenvector k
            var residual = a * z - z * Matrix<double>.Build.DenseOfDiagonalArray(eigen.Values);
            Assert.True(residual.FrobeniusNorm() <= tolerance * norm, $"{c}: ‖AZ − ZΛ‖ = {residual.FrobeniusNorm()} (‖A‖ {norm})");
            var gram = z.TransposeThisAndMultiply(z) - Matrix<double>.Build.DenseIdentity(c.n);
            Assert.True(gram.FrobeniusNorm() <= tolerance, $"{c}: ‖ZᵀZ − I‖ = {gram.FrobeniusNorm()}");
            for (int k = 0; k < c.n; k++) Assert.Equal(z[0, k], eigen.Row(k)[0]);
            return true;
        }).Check(TestSeeds.Quick(40));
    }

    [Fact]
    public void TheParallelLoopsGiveTheSameBitsOnEveryRun()
    {
        // 600 rows run the reduction on all cores and the rotations in two column blocks: a race between them would show
        // as bits that differ from run to run.
        var a = Draw(600, Kind.Dense, new Random(7));
        var first = SymmetricEigen.Of(a);
        var second = SymmetricEigen.Of(Matrix<double>.Build.DenseOfArray(a.ToArray()));
        Assert.Equal(first.Values, second.Values);
        Assert.Equal(first.VectorRows, second.VectorRows);
    }

    [Fact]
    public void APowerOfTwoTimesTheMatrixScalesTheEigenvaluesAndLeavesTheEigenvectorsBitForBit()
    {
        // Entries of 2^-537 square to zero and those of 2^512 to infinity: the reduction must not see such scales.
        var a = Draw(20, Kind.Dense, new Random(11));
        var unit = SymmetricEigen.Of(a);
        foreach (int exponent in new[] { -1000, -560, -530, 520, 1000 })
        {
            var scaled = SymmetricEigen.Of(a.Map(x => Math.ScaleB(x, exponent)));
            Assert.Equal(unit.Values.Select(v => Math.ScaleB(v, exponent)), scaled.Values);
            Assert.Equal(unit.VectorRows, scaled.VectorRows);
        }
    }

    [Fact]
    public void ReadsAnAsymmetricMatrixAsItsSymmetricPart()
    {
        var rng = new Random(3);
        var a = Matrix<double>.Build.Dense(9, 9, (_, _) => rng.NextDouble() - 0.5);
        var symmetric = (a + a.Transpose()) / 2;
        Assert.Equal(SymmetricEigen.Of(symmetric).Values, SymmetricEigen.Of(a).Values);
    }

    [Fact]
    public void RefusesAMatrixThatIsNotSquareOrNotFinite()
    {
        var e = Assert.Throws<ArgumentException>(() => SymmetricEigen.Of(Matrix<double>.Build.Dense(3, 4)));
        Assert.Contains("square, got [3, 4]", e.Message);
        var nan = Matrix<double>.Build.DenseIdentity(4);
        nan[2, 1] = double.NaN;
        e = Assert.Throws<ArgumentException>(() => SymmetricEigen.Of(nan));
        Assert.Contains("non-finite", e.Message);
    }

    private static Matrix<double> Draw(int n, Kind kind, Random rng)
    {
        switch (kind)
        {
            case Kind.Dense:
            {
                var a = Matrix<double>.Build.Dense(n, n, (_, _) => rng.NextDouble() * 2 - 1);
                return a + a.Transpose();
            }
            case Kind.RepeatedValues:
            {
                // Q diag(λ) Qᵀ with λ drawn from three values: clusters of equal eigenvalues.
                var q = Matrix<double>.Build.Dense(n, n, (_, _) => rng.NextDouble() - 0.5).QR().Q;
                double[] choices = [-1, 0, 2.5];
                var values = Matrix<double>.Build.DenseOfDiagonalArray(Enumerable.Range(0, n).Select(_ => choices[rng.Next(3)]).ToArray());
                var a = q * values * q.Transpose();
                return (a + a.Transpose()) / 2;
            }
            case Kind.Diagonal:
                return Matrix<double>.Build.DenseOfDiagonalArray(Enumerable.Range(0, n).Select(_ => (double)rng.Next(-2, 3)).ToArray());
            case Kind.DisconnectedLaplacian:
            {
                // D − A of a sparse graph in three components: zero has multiplicity three or more.
                var adjacency = Matrix<double>.Build.Dense(n, n);
                for (int i = 0; i < n; i++)
                    for (int j = i + 1; j < n; j++)
                        if (i % 3 == j % 3 && rng.Next(Math.Max(1, n / 12)) == 0)
                            adjacency[i, j] = adjacency[j, i] = rng.NextDouble();
                return Matrix<double>.Build.DenseOfDiagonalVector(adjacency.RowSums()) - adjacency;
            }
            case Kind.AlreadyTridiagonal:
            {
                var a = Matrix<double>.Build.Dense(n, n);
                for (int i = 0; i < n; i++)
                {
                    a[i, i] = rng.NextDouble();
                    if (i + 1 < n && rng.Next(4) > 0) a[i, i + 1] = a[i + 1, i] = rng.NextDouble() - 0.5;
                }
                return a;
            }
            default:
                return Matrix<double>.Build.Dense(n, n);
        }
    }
}
