using Engine.Autograd;
using Engine.Tensors;
using FsCheck.Fluent;
using Xunit;
using static Engine.Tests.Autograd.GradTesting;

namespace Engine.Tests.Autograd;

/// <summary>
/// Every backward rule against a central finite difference taken in float64: the numeric gradient differentiates an
/// independent double-precision forward (<see cref="D64"/>) with h = 1e-6, so it is accurate to ~1e-9, and the
/// engine's analytic fp32 gradient must match it to fp32 accuracy. (The fp32 <see cref="GradCheck"/> tests also
/// exercise the engine's own forward; this one removes fp32 rounding from the reference side.)
/// </summary>
public class Float64FiniteDifferenceTests
{
    /// <summary>One op: its engine form, its double form, input domains and shapes.</summary>
    private sealed record Case(string Name, Domain[] Domains, Func<Variable[], Variable> Engine, Func<D64[], D64> Reference);

    private static double Gelu(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    private static readonly Case[] Unary =
    [
        new("neg", [Domain.Any], v => -v[0], d => d[0].Map(x => -x)),
        new("abs", [Domain.Any], v => v[0].Abs(), d => d[0].Map(Math.Abs)),
        new("exp", [Domain.Any], v => v[0].Exp(), d => d[0].Map(Math.Exp)),
        new("log", [Domain.Positive], v => v[0].Log(), d => d[0].Map(Math.Log)),
        new("sqrt", [Domain.Positive], v => v[0].Sqrt(), d => d[0].Map(Math.Sqrt)),
        new("rsqrt", [Domain.Positive], v => v[0].Rsqrt(), d => d[0].Map(x => 1 / Math.Sqrt(x))),
        new("tanh", [Domain.Any], v => v[0].Tanh(), d => d[0].Map(Math.Tanh)),
        new("relu", [Domain.Any], v => v[0].Relu(), d => d[0].Map(x => Math.Max(0, x))),
        new("gelu", [Domain.Any], v => v[0].Gelu(), d => d[0].Map(Gelu)),
        new("pow 3", [Domain.Any], v => v[0].Pow(3f), d => d[0].Map(x => x * x * x)),
        new("pow -1.5", [Domain.Positive], v => v[0].Pow(-1.5f), d => d[0].Map(x => Math.Pow(x, -1.5))),
        new("scalar ops", [Domain.Positive], v => (2f - v[0] * 0.5f) / 3f + 1f / v[0] + 0.25f, d => d[0].Map(x => (2 - x * 0.5) / 3 + 1 / x + 0.25)),
        new("reshape", [Domain.Any], v => v[0].Reshape(-1) * v[0].Reshape(-1), d => new D64(d[0].Data.Select(x => x * x).ToArray(), [(int)d[0].Count])),
        new("where", [Domain.Any], v => Variable.Where(Tensor.FromArray(v[0].Device, Alternating(v[0].Value.Count), v[0].Shape.ToArray()), v[0].Exp(), v[0] * 2f),
            d => new D64(d[0].Data.Select((x, i) => i % 2 == 0 ? Math.Exp(x) : 2 * x).ToArray(), d[0].Shape)),
        new("mean and max of all", [Domain.Distinct], v => v[0].Mean() * v[0].Max(),
            d => new D64([d[0].Data.Average() * d[0].Data.Max()], [])),
        new("softmax", [Domain.Any], v => v[0].Softmax(), d => d[0].Rows(D64.Softmax)),
        new("log-softmax", [Domain.Any], v => v[0].LogSoftmax(), d => d[0].Rows(D64.LogSoftmax)),
        new("sum axis -1", [Domain.Any], v => v[0].Sum(-1), d => d[0].Reduce(-1, c => c.Sum())),
        new("mean axis 0", [Domain.Any], v => v[0].Mean(0), d => d[0].Reduce(0, c => c.Average())),
        new("max axis -1", [Domain.Distinct], v => v[0].Max(-1), d => d[0].Reduce(-1, c => c.Max())),
        new("sum of squares axis 0", [Domain.Any], v => v[0].SumOfSquares(0), d => d[0].Reduce(0, c => c.Sum(x => x * x))),
        new("norm axis -1", [Domain.Any], v => v[0].Norm(-1), d => d[0].Reduce(-1, c => Math.Sqrt(c.Sum(x => x * x)))),
        new("transpose + contiguous", [Domain.Any], v => v[0].Transpose(0, -1).Contiguous() * v[0].Transpose(0, -1),
            d => { var t = d[0].Permute(Enumerable.Range(0, d[0].Shape.Length).Select(i => i == 0 ? d[0].Shape.Length - 1 : i == d[0].Shape.Length - 1 ? 0 : i).ToArray()); return D64.Zip(t, t, (a, b) => a * b); }),
    ];

    private static readonly Case[] Binary =
    [
        new("add", [Domain.Any, Domain.Any], v => v[0] + v[1], d => D64.Zip(d[0], d[1], (a, b) => a + b)),
        new("sub", [Domain.Any, Domain.Any], v => v[0] - v[1], d => D64.Zip(d[0], d[1], (a, b) => a - b)),
        new("mul", [Domain.Any, Domain.Any], v => v[0] * v[1], d => D64.Zip(d[0], d[1], (a, b) => a * b)),
        new("div", [Domain.Any, Domain.Positive], v => v[0] / v[1], d => D64.Zip(d[0], d[1], (a, b) => a / b)),
        new("maximum", [Domain.OddTenths, Domain.EvenTenths], v => Variable.Maximum(v[0], v[1]), d => D64.Zip(d[0], d[1], Math.Max)),
        new("minimum", [Domain.OddTenths, Domain.EvenTenths], v => Variable.Minimum(v[0], v[1]), d => D64.Zip(d[0], d[1], Math.Min)),
    ];

    [Fact]
    public void ElementwiseReductionAndViewRules() =>
        ForAll(from shape in Shape(2, 3) from seed in Seed select (shape, seed), c =>
        {
            foreach (var op in Unary) Verify(op, c.seed, c.shape);
        }, maxTest: 12);

    [Fact]
    public void BroadcastingBinaryRules() =>
        ForAll(from pair in BroadcastPair from seed in Seed select (pair, seed), c =>
        {
            foreach (var op in Binary) Verify(op, c.seed, c.pair.A, c.pair.B);
        }, maxTest: 12);

    [Fact]
    public void MatMulLayerNormGatherCrossEntropySliceConcatRules() =>
        ForAll(from m in Gen.Choose(1, 4) from k in Gen.Choose(1, 5) from n in Gen.Choose(2, 5) from seed in Seed
               select (m, k, n, seed), c =>
        {
            Verify(new("matmul", [Domain.Any, Domain.Any], v => Variable.MatMul(v[0], v[1]), d => D64.MatMul(d[0], d[1])),
                   c.seed, [c.m, c.k], [c.k, c.n]);
            Verify(new("matmul Bᵀ", [Domain.Any, Domain.Any], v => Variable.MatMul(v[0], v[1], transposeB: true),
                       d => D64.MatMul(d[0], d[1].Permute([1, 0]))), c.seed, [c.m, c.k], [c.n, c.k]);
            Verify(new("batched matmul Aᵀ, shared B", [Domain.Any, Domain.Any], v => Variable.MatMul(v[0], v[1], transposeA: true),
                       d => Stack(Enumerable.Range(0, 2).Select(b => D64.MatMul(Item(d[0], b).Permute([1, 0]), d[1])).ToArray())),
                   c.seed, [2, c.k, c.m], [c.k, c.n]);
            Verify(new("layernorm", [Domain.SpreadRows, Domain.Any, Domain.Any], v => Variable.LayerNorm(v[0], v[1], v[2]),
                       d => LayerNorm(d[0], d[1], d[2])), c.seed, [c.m, c.n], [c.n], [c.n]);
            var rng = new Random(c.seed);
            var indices = Enumerable.Range(0, c.m + 2).Select(_ => rng.Next(c.k)).ToArray();
            Verify(new("gather", [Domain.Any], v => Variable.Gather(v[0], Tensor.FromArray(v[0].Device, indices, indices.Length)),
                       d => new D64(indices.SelectMany(i => d[0].Data.Skip(i * c.n).Take(c.n)).ToArray(), [indices.Length, c.n])),
                   c.seed, [c.k, c.n]);
            var targets = Enumerable.Range(0, c.m).Select(_ => rng.Next(c.n)).ToArray();
            Verify(new("cross-entropy per row", [Domain.Any], v => Variable.CrossEntropyPerRow(v[0], Tensor.FromArray(v[0].Device, targets, c.m)),
                       d => new D64(Enumerable.Range(0, c.m).Select(r => -D64.LogSoftmax(d[0].Data[(r * c.n)..((r + 1) * c.n)])[targets[r]]).ToArray(), [c.m])),
                   c.seed, [c.m, c.n]);
            Verify(new("cross-entropy", [Domain.Any], v => Variable.CrossEntropy(v[0], Tensor.FromArray(v[0].Device, targets, c.m)),
                       d => new D64([Enumerable.Range(0, c.m).Average(r => -D64.LogSoftmax(d[0].Data[(r * c.n)..((r + 1) * c.n)])[targets[r]])], [])),
                   c.seed, [c.m, c.n]);
            Verify(new("slice + concat", [Domain.Any], v => Variable.Concat(1, v[0].Slice(1, 1, c.n - 1), v[0].Slice(1, 0, 1)) * v[0],
                       d => D64.Zip(Concat1(d[0].Slice(1, 1, c.n - 1), d[0].Slice(1, 0, 1)), d[0], (a, b) => a * b)),
                   c.seed, [c.m, c.n]);
        }, maxTest: 12);

    private static float[] Alternating(long n) => Enumerable.Range(0, (int)n).Select(i => i % 2 == 0 ? 1f : 0f).ToArray();

    private static D64 Item(D64 batched, int b)
    {
        int rows = batched.Shape[1], cols = batched.Shape[2];
        return new(batched.Data[(b * rows * cols)..((b + 1) * rows * cols)], [rows, cols]);
    }

    private static D64 Stack(D64[] items) =>
        new(items.SelectMany(x => x.Data).ToArray(), [items.Length, .. items[0].Shape]);

    private static D64 LayerNorm(D64 x, D64 gamma, D64 beta)
    {
        int cols = x.Shape[^1];
        return x.Rows(row =>
        {
            double mean = row.Average(), var = row.Sum(v => (v - mean) * (v - mean)) / cols, rstd = 1 / Math.Sqrt(var + 1e-5);
            return row.Select((v, j) => (v - mean) * rstd * gamma.Data[j] + beta.Data[j]).ToArray();
        });
    }

    private static D64 Concat1(D64 a, D64 b)
    {
        int rows = a.Shape[0], ca = a.Shape[1], cb = b.Shape[1];
        var r = new double[rows * (ca + cb)];
        for (int i = 0; i < rows; i++)
        {
            Array.Copy(a.Data, i * ca, r, i * (ca + cb), ca);
            Array.Copy(b.Data, i * cb, r, i * (ca + cb) + ca, cb);
        }
        return new(r, [rows, ca + cb]);
    }

    /// <summary>Loss = Σ wᵢ yᵢ with the weights of <see cref="GradTesting.WeightedSum"/>; analytic (engine) vs numeric (float64).</summary>
    private static void Verify(Case op, int seed, params int[][] shapes)
    {
        var rng = new Random(seed);
        var inputs = shapes.Select((s, i) => Values(rng, s, op.Domains[Math.Min(i, op.Domains.Length - 1)])).ToArray();

        var variables = inputs.Select((v, i) => new Variable(Tensor.FromArray(Cpu, v, shapes[i]), requiresGrad: true)).ToArray();
        using (var tape = new GradientTape())
        {
            var loss = WeightedSum(op.Engine(variables));
            tape.Backward(loss);
        }
        var analytic = variables.Select(v => v.Grad!.ToArray()).ToArray();

        double Loss(double[][] x)
        {
            var y = op.Reference(x.Select((d, i) => new D64(d, shapes[i])).ToArray());
            double total = 0;
            for (int i = 0; i < y.Data.Length; i++) total += (double)MathF.Cos(1.7f * i + 0.3f) * y.Data[i];
            return total;
        }
        var point = inputs.Select(v => v.Select(f => (double)f).ToArray()).ToArray();
        for (int input = 0; input < point.Length; input++)
            for (int e = 0; e < point[input].Length; e++)
            {
                double keep = point[input][e], h = 1e-6 * Math.Max(1, Math.Abs(keep));
                point[input][e] = keep + h; double up = Loss(point);
                point[input][e] = keep - h; double down = Loss(point);
                point[input][e] = keep;
                double numeric = (up - down) / (2 * h), actual = analytic[input][e];
                Assert.True(Math.Abs(actual - numeric) <= 2e-5 + 2e-4 * Math.Abs(numeric),
                    $"{op.Name}: d loss / d input{input}[{e}] analytic {actual:R}, float64 numeric {numeric:R} " +
                    $"(shapes {string.Join(" ", shapes.Select(s => "[" + string.Join(",", s) + "]"))}, seed {seed})");
            }
        foreach (var v in variables) v.Dispose();
    }
}
