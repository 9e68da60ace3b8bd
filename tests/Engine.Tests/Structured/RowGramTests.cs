using Engine.Optim.Structured;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using MathNet.Numerics.LinearAlgebra;
using Xunit;

namespace Engine.Tests.Structured;

public class RowGramTests
{
    // Widths around the 1,024-column blocks and the 8 partitions (9,000 columns: 9 blocks, one partition holds two).
    private static readonly Gen<int> Width = Gen.OneOf(Gen.Choose(1, 40), Gen.Elements(1023, 1024, 1025, 2049, 3000, 9000));

    [Fact]
    public void GramOfTheRowsEqualsTheDoubleProductOfTheMatrixWithItsTranspose()
    {
        Prop.ForAll((from m in Gen.Choose(1, 12) from n in Width from seed in Gen.Choose(0, int.MaxValue) select (m, n, seed)).ToArbitrary(), c =>
        {
            var rng = new Random(c.seed);
            var rows = new float[c.m * c.n];
            for (int i = 0; i < rows.Length; i++) rows[i] = (float)(rng.NextDouble() * 2 - 1) * (rng.Next(4) == 0 ? 1e3f : 1f);
            var matrix = Matrix<double>.Build.Dense(c.m, c.n, (i, j) => rows[i * c.n + j]);
            var expected = matrix * matrix.Transpose();
            var gram = RowGram.Of(rows, c.m, c.n);
            for (int a = 0; a < c.m; a++)
                for (int b = 0; b < c.m; b++)
                {
                    // Each product of two floats is exact in double: only the order of the sums differs, and either
                    // order's sum is within n ε Σ|x y| ≤ n ε ‖a‖‖b‖ of the exact one.
                    double bound = 2 * c.n * 1.2e-16 * matrix.Row(a).L2Norm() * matrix.Row(b).L2Norm();
                    Assert.True(Math.Abs(gram[a, b] - expected[a, b]) <= bound, $"{c}: [{a}, {b}] {gram[a, b]} vs {expected[a, b]}");
                    Assert.Equal(gram[a, b], gram[b, a]);
                }
            return true;
        }).Check(TestSeeds.Quick(40));
    }

    [Fact]
    public void RefusesValuesThatAreNotTheShapesMatrix()
    {
        var e = Assert.Throws<ArgumentException>(() => RowGram.Of(new float[10], 3, 4));
        Assert.Contains("10 values are not a [3, 4] matrix", e.Message);
    }
}
