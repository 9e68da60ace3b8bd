using Engine.Optim.Structured;
using Engine.Tensors;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using MathNet.Numerics.LinearAlgebra;
using Xunit;

namespace Engine.Tests.Structured;

[Collection("Structured")]
public class RowGraphTests
{
    /// <summary>Where the Gram matrix comes from: rows that tie often, rows that do not, or any square matrix.</summary>
    public enum Source { SmallIntegers, Normal, Arbitrary }

    // Entries in {−1, 0, 1} with every other row a copy of an earlier one: equal distances and cosines everywhere, so
    // the tie-break decides most neighbours; and zero rows, whose cosines are all 0.
    private static Matrix<double> Gram(Source source, int m, Random rng)
    {
        if (source == Source.Arbitrary)
            return Matrix<double>.Build.Dense(m, m, (_, _) => Math.Round(rng.NextDouble() * 8 - 4, rng.Next(3)));
        int n = 1 + rng.Next(6);
        var rows = new float[m * n];
        for (int a = 0; a < m; a++)
        {
            bool copy = source == Source.SmallIntegers && a > 0 && rng.Next(2) == 0;
            int from = copy ? rng.Next(a) : a;
            for (int j = 0; j < n; j++)
                rows[a * n + j] = copy ? rows[from * n + j]
                    : source == Source.SmallIntegers ? rng.Next(3) - 1 : (float)HostData.Normal(rng, 1)[0];
        }
        return RowGram.Of(rows, m, n);
    }

    private static readonly Gen<(Source Source, int M, int K, int Seed)> Cases =
        from source in Gen.Elements(Source.SmallIntegers, Source.SmallIntegers, Source.Normal, Source.Arbitrary)
        from m in Gen.Choose(1, 40) from k in Gen.Choose(0, m + 2) from seed in Gen.Choose(0, int.MaxValue)
        select (source, m, k, seed);

    [Fact]
    public void GraphsEqualTheEntryByEntryReferenceBitForBit()
    {
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var gram = Gram(c.Source, c.M, new Random(c.Seed));
            var (gaussian, sigmaSq) = RowGraph.Gaussian(gram, c.K);
            var (expectedGaussian, expectedSigmaSq) = RowGraphReference.Gaussian(gram, c.K);
            Assert.True(Same(expectedSigmaSq, sigmaSq), $"{c}: σ² {sigmaSq:R}, expected {expectedSigmaSq:R}");
            AssertSame(expectedGaussian, gaussian, $"{c} Gaussian");
            AssertSame(RowGraphReference.Cosine(gram, c.K), RowGraph.Cosine(gram, c.K), $"{c} cosine");
            return true;
        }).Check(TestSeeds.Quick(300));
    }

    [Fact]
    public void LaplaciansEqualTheEntryByEntryReferenceBitForBit()
    {
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var gram = Gram(c.Source, c.M, new Random(c.Seed));
            // Also a non-negative matrix that is not symmetric, with empty rows: degrees summed along rows, not columns.
            var rng = new Random(c.Seed ^ 0x1ab);
            var lopsided = Matrix<double>.Build.Dense(c.M, c.M, (_, _) => rng.Next(3) == 0 ? 0 : rng.NextDouble() * 1e3);
            foreach (var adjacency in new[] { RowGraph.Gaussian(gram, c.K).Adjacency, RowGraph.Cosine(gram, c.K), lopsided })
                foreach (var kind in new[] { LaplacianKind.Symmetric, LaplacianKind.Combinatorial })
                    AssertSame(RowGraphReference.Laplacian(adjacency, kind), GraphLaplacian.Build(adjacency, kind), $"{c} {kind}");
            return true;
        }).Check(TestSeeds.Quick(100));
    }

    [Fact]
    public void HostMatricesRoundTripThroughRowMajorFloatTensors()
    {
        var device = Backends.Get("cpu");
        Prop.ForAll((from rows in Gen.Choose(1, 150) from cols in Gen.Choose(1, 150) from seed in Gen.Choose(0, int.MaxValue)
                     select (rows, cols, seed)).ToArbitrary(), c =>
        {
            using var scope = new TensorScope();
            var matrix = HostData.Matrix(new Random(c.seed), c.rows, c.cols) * 1.1;   // not all representable in fp32
            var target = Tensor.Zeros(device, c.rows, c.cols);
            HostMatrix.Write(matrix, target);
            var written = target.ToArray();
            for (int i = 0; i < c.rows; i++)
                for (int j = 0; j < c.cols; j++)
                    Assert.True(written[i * c.cols + j] == (float)matrix[i, j], $"{c}: [{i}, {j}] written as {written[i * c.cols + j]}");
            var read = HostMatrix.Read(target);
            AssertSame(Matrix<double>.Build.Dense(c.rows, c.cols, (i, j) => written[i * c.cols + j]), read, $"{c} read");
            return true;
        }).Check(TestSeeds.Quick(30));
    }

    private static bool Same(double expected, double actual) =>
        BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual) || (double.IsNaN(expected) && double.IsNaN(actual));

    private static void AssertSame(Matrix<double> expected, Matrix<double> actual, string what)
    {
        Assert.Equal(expected.RowCount, actual.RowCount);
        Assert.Equal(expected.ColumnCount, actual.ColumnCount);
        for (int a = 0; a < expected.RowCount; a++)
            for (int b = 0; b < expected.ColumnCount; b++)
                Assert.True(Same(expected[a, b], actual[a, b]), $"{what}: [{a}, {b}] {actual[a, b]:R}, expected {expected[a, b]:R}");
    }
}
