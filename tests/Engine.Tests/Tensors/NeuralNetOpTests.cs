using Engine.Tensors;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using static Engine.Tests.Tensors.HostReference;

namespace Engine.Tests.Tensors;

public class NeuralNetOpTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    private static Gen<(int Rows, int Cols, int Seed)> Rows =>
        from rows in Gen.OneOf(Gen.Choose(1, 9), Gen.Elements(17, 64))
        from cols in Gen.OneOf(Gen.Choose(1, 70), Gen.Elements(255, 256, 257, 1000))
        from seed in Gen.Choose(0, int.MaxValue)
        select (rows, cols, seed);

    [Theory, MemberData(nameof(Backends))]
    public void SoftmaxAndLogSoftmax(string backend)
    {
        var device = Support.Backends.Get(backend);
        Prop.ForAll(Rows.ToArbitrary(), c =>
        {
            var x = RandomFloats(new Random(c.Seed), c.Rows * c.Cols, 8f);
            var soft = new double[x.Length];
            var logSoft = new double[x.Length];
            for (int r = 0; r < c.Rows; r++)
            {
                var row = x.Skip(r * c.Cols).Take(c.Cols).Select(v => (double)v).ToArray();
                double max = row.Max(), lse = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
                for (int j = 0; j < c.Cols; j++) { logSoft[r * c.Cols + j] = row[j] - lse; soft[r * c.Cols + j] = Math.Exp(row[j] - lse); }
            }
            using var t = Tensor.FromArray(device, x, c.Rows, c.Cols);
            using var s = t.Softmax();
            using var ls = t.LogSoftmax();
            AssertClose(soft, s.ToArray(), 1e-5, 1e-7, "softmax");
            AssertClose(logSoft, ls.ToArray(), 1e-5, 1e-5, "log-softmax");
        }).Check(TestSeeds.Quick(30));
    }

    [Theory, MemberData(nameof(Backends))]
    public void LayerNormWithStatistics(string backend)
    {
        var device = Support.Backends.Get(backend);
        Prop.ForAll(Rows.ToArbitrary(), c =>
        {
            var rng = new Random(c.Seed);
            var x = RandomFloats(rng, c.Rows * c.Cols, 3f).Select(v => v + 5f).ToArray();
            var gamma = RandomFloats(rng, c.Cols);
            var beta = RandomFloats(rng, c.Cols);
            var y = new double[x.Length]; var mean = new double[c.Rows]; var rstd = new double[c.Rows];
            for (int r = 0; r < c.Rows; r++)
            {
                var row = x.Skip(r * c.Cols).Take(c.Cols).Select(v => (double)v).ToArray();
                mean[r] = row.Average();
                double var = row.Sum(v => (v - mean[r]) * (v - mean[r])) / c.Cols;
                rstd[r] = 1 / Math.Sqrt(var + 1e-5);
                for (int j = 0; j < c.Cols; j++) y[r * c.Cols + j] = (row[j] - mean[r]) * rstd[r] * gamma[j] + beta[j];
            }
            using var tx = Tensor.FromArray(device, x, c.Rows, c.Cols);
            using var tg = Tensor.FromArray(device, gamma, c.Cols);
            using var tb = Tensor.FromArray(device, beta, c.Cols);
            using var ln = Tensor.LayerNorm(tx, tg, tb);
            AssertClose(y, ln.Output.ToArray(), 1e-4, 1e-4, "y");
            AssertClose(mean, ln.Mean.ToArray(), 1e-6, 1e-5, "mean");
            AssertClose(rstd, ln.Rstd.ToArray(), 1e-3, 1e-4, "rstd");
        }).Check(TestSeeds.Quick(30));
    }

    [Theory, MemberData(nameof(Backends))]
    public void GatherScatterAddAndCrossEntropy(string backend)
    {
        var device = Support.Backends.Get(backend);
        var gen = from vocab in Gen.Choose(1, 70) from dim in Gen.Choose(1, 40) from n in Gen.Choose(1, 50)
                  from seed in Gen.Choose(0, int.MaxValue) select (vocab, dim, n, seed);
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var rng = new Random(c.seed);
            var table = RandomFloats(rng, c.vocab * c.dim);
            var idx = Enumerable.Range(0, c.n).Select(_ => rng.Next(c.vocab)).ToArray();
            var src = RandomFloats(rng, c.n * c.dim);
            using var tt = Tensor.FromArray(device, table, c.vocab, c.dim);
            using var ti = Tensor.FromArray(device, idx, c.n);
            using var g = Tensor.Gather(tt, ti);
            Assert.Equal(new[] { c.n, c.dim }, g.Shape.ToArray());
            var expectedG = idx.SelectMany(i => table.Skip(i * c.dim).Take(c.dim)).Select(v => (double)v).ToArray();
            AssertClose(expectedG, g.ToArray(), 0, 0, "gather");

            using var ts = Tensor.FromArray(device, src, c.n, c.dim);
            using var acc = Tensor.Zeros(device, c.vocab, c.dim);
            Tensor.ScatterAdd(acc, ti, ts);
            var expectedS = new double[c.vocab * c.dim];
            for (int i = 0; i < c.n; i++) for (int j = 0; j < c.dim; j++) expectedS[idx[i] * c.dim + j] += src[i * c.dim + j];
            AssertClose(expectedS, acc.ToArray(), 1e-6, 1e-6, "scatter-add");

            // cross-entropy: logits [n, vocab], targets idx
            var logits = RandomFloats(rng, c.n * c.vocab, 5f);
            double total = 0;
            var perRow = new double[c.n];
            for (int r = 0; r < c.n; r++)
            {
                var row = logits.Skip(r * c.vocab).Take(c.vocab).Select(v => (double)v).ToArray();
                double max = row.Max();
                perRow[r] = max + Math.Log(row.Sum(v => Math.Exp(v - max))) - row[idx[r]];
                total += perRow[r];
            }
            using var tl = Tensor.FromArray(device, logits, c.n, c.vocab);
            using var ce = Tensor.CrossEntropyPerRow(tl, ti);
            using var mean = Tensor.CrossEntropy(tl, ti);
            AssertClose(perRow, ce.ToArray(), 1e-5, 1e-5, "ce");
            AssertClose([total / c.n], [mean.Item()], 1e-5, 1e-5, "mean ce");
        }).Check(TestSeeds.Quick(30));
    }

    [Theory, MemberData(nameof(Backends))]
    public void OutOfRangeIndexNamesPositionAndValue(string backend)
    {
        var device = Support.Backends.Get(backend);
        using var table = Tensor.Zeros(device, 5, 3);
        using var idx = Tensor.FromArray(device, [0, 4, 7, 1], 4);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Gather(table, idx));
        Assert.Contains("7", e.Message);
        using var logits = Tensor.Zeros(device, 4, 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.CrossEntropy(logits, idx));
    }
}
