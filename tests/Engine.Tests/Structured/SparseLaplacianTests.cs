using Engine.Optim.Structured;
using Engine.Tensors;
using FsCheck;
using FsCheck.Fluent;
using MathNet.Numerics.LinearAlgebra;
using Xunit;

namespace Engine.Tests.Structured;

[Collection("Structured")]
public class SparseLaplacianTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    /// <summary>
    /// Every graph RowGraph builds (Gaussian or cosine, duplicate rows, k at or past m − 1, L_sym or L_comb) fits the room
    /// of m(2k + 1) entries — Write throws where it does not — and a batch written through its views multiplies as the
    /// dense Laplacians do: batched, and through each view (matrix 1 and 2 sit at offsets of the batch's buffers).
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void ABatchOfKnnLaplaciansFitsItsRoomAndMultipliesAsTheDenseMatrices(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from m in Gen.OneOf(Gen.Choose(1, 12), Gen.Elements(40, 130)) from n in Gen.Choose(1, 9)
                    from neighbors in Gen.OneOf(Gen.Choose(1, 4), Gen.Elements(10, 200)) from cosine in Gen.Elements(false, true)
                    from kind in Gen.Elements(LaplacianKind.Symmetric, LaplacianKind.Combinatorial) from seed in Gen.Choose(0, int.MaxValue)
                    select (m, n, neighbors, cosine, kind, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            const int count = 3;
            var rng = new Random(c.seed);
            using var scope = new TensorScope();
            using var batch = SparseLaplacian.Allocate(device, count, c.m, c.neighbors);
            var dense = new Matrix<double>[count];
            var x = new Matrix<double>[count];
            for (int i = 0; i < count; i++)
            {
                var rows = HostData.Matrix(rng, c.m, c.n);
                // Duplicates: zero distances (σ² falls back) and ties among the neighbours.
                if (c.m > 2) rows.SetRow(c.m - 1, rows.Row(0));
                var gram = rows * rows.Transpose();
                var adjacency = c.cosine ? RowGraph.Cosine(gram, c.neighbors) : RowGraph.Gaussian(gram, c.neighbors).Adjacency;
                dense[i] = GraphLaplacian.Build(adjacency, c.kind);
                using var view = batch.At(i);
                view.Write(dense[i]);
                x[i] = HostData.Matrix(rng, c.m, c.n);
            }
            var stacked = new float[count * c.m * c.n];
            for (int i = 0; i < count; i++)
                for (int r = 0; r < c.m; r++)
                    for (int j = 0; j < c.n; j++) stacked[(i * c.m + r) * c.n + j] = (float)x[i][r, j];
            var all = batch.Multiply(Tensor.FromArray(device, stacked, count, c.m, c.n)).ToArray();
            for (int i = 0; i < count; i++)
            {
                using var view = batch.At(i);
                var alone = view.Multiply(HostData.Upload(device, x[i])).ToArray();
                Assert.Equal(all.AsSpan(i * c.m * c.n, c.m * c.n).ToArray(), alone);
                var product = Matrix<double>.Build.Dense(c.m, c.n, (r, j) => alone[r * c.n + j]);
                HostData.Near(dense[i] * x[i], product, 1e-6, $"{backend} {c}: matrix {i}");
            }
            return true;
        }).Check(Support.TestSeeds.Quick(30));
    }
}
