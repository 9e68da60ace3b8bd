using Engine.Autograd;
using Engine.Models.Gpt;
using Engine.Models.Nn;
using Engine.Tensors;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using static Engine.Tests.Autograd.GradTesting;

namespace Engine.Tests.Autograd;

/// <summary>
/// The fused causal attention kernel against a scalar reference in double (forward and all three gradients), against
/// finite differences, and the GPT with it against the GPT composing attention from MatMul and Softmax.
/// </summary>
public class AttentionTests
{
    /// <summary>How one of q, k, v reaches the kernel.</summary>
    public enum Layout
    {
        /// <summary>A dense [B, T, C] leaf.</summary>
        Dense,

        /// <summary>The middle third of a [B, T, 3C] leaf (a QKV projection's block): rows 3C apart, read in place.</summary>
        Block,

        /// <summary>A [T, B, C] leaf permuted to [B, T, C]: the batch stride is smaller than the row stride.</summary>
        Permuted,

        /// <summary>A [B, C, T] leaf permuted to [B, T, C]: columns not contiguous, so the kernel reads a copy.</summary>
        Transposed,
    }

    public sealed record Case(int Batch, int Length, int Heads, int HeadSize, Layout Q, Layout K, Layout V, int Seed);

    private static readonly Gen<Layout> Layouts = Gen.Elements(Layout.Dense, Layout.Dense, Layout.Block, Layout.Permuted, Layout.Transposed);

    private static readonly Gen<Case> Cases =
        from batch in Gen.Choose(1, 3)
        from length in Gen.OneOf(Gen.Choose(1, 20), Gen.Elements(15, 16, 17, 31, 33, 63, 64, 65, 80, 130))
        from heads in Gen.Choose(1, 3)
        from headSize in Gen.Elements(16, 32, 48, 64)
        from q in Layouts
        from k in Layouts
        from v in Layouts
        from seed in Seed
        select new Case(batch, length, heads, headSize, q, k, v, seed);

    private static bool Available => Tensor.SupportsCausalAttention(Cpu, 16);

    [Fact]
    public void FusedAttentionMatchesADoubleReference()
    {
        if (!Available)
        {
            // Without AVX-512 the cpu says so and refuses the kernel; the GPT then composes attention (tested below).
            using var x = Tensor.Zeros(Cpu, 1, 4, 32);
            Assert.Throws<NotSupportedException>(() => Tensor.CausalAttention(x, x, x, 2));
            return;
        }
        Prop.ForAll(Cases.ToArbitrary(), Verify).Check(TestSeeds.Quick(40));
    }

    /// <summary>One operand: its leaf's values and shape, the view the kernel gets, and where element (b, t, c) lives in the leaf.</summary>
    private sealed record Operand(float[] Leaf, int[] LeafShape, Func<Variable, Variable> View, Func<int, int, int, int> At);

    private static Operand Make(Layout layout, int b, int t, int c, Random rng)
    {
        var leaf = Enumerable.Range(0, (layout == Layout.Block ? 3 : 1) * b * t * c).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        return layout switch
        {
            Layout.Block => new(leaf, [b, t, 3 * c], x => x.Slice(2, c, c), (i, j, k) => (i * t + j) * 3 * c + c + k),
            Layout.Permuted => new(leaf, [t, b, c], x => x.Permute(1, 0, 2), (i, j, k) => (j * b + i) * c + k),
            Layout.Transposed => new(leaf, [b, c, t], x => x.Permute(0, 2, 1), (i, j, k) => (i * c + k) * t + j),
            _ => new(leaf, [b, t, c], x => x, (i, j, k) => (i * t + j) * c + k),
        };
    }

    private static void Verify(Case c)
    {
        int width = c.Heads * c.HeadSize, n = c.Batch * c.Length * width;
        var rng = new Random(c.Seed);
        Operand[] operands = [Make(c.Q, c.Batch, c.Length, width, rng), Make(c.K, c.Batch, c.Length, width, rng),
                              Make(c.V, c.Batch, c.Length, width, rng)];
        var weights = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        // The [B, T, C] values each operand presents, for the reference.
        var dense = operands.Select(o =>
        {
            var values = new float[n];
            for (int i = 0; i < c.Batch; i++)
                for (int j = 0; j < c.Length; j++)
                    for (int k = 0; k < width; k++) values[(i * c.Length + j) * width + k] = o.Leaf[o.At(i, j, k)];
            return values;
        }).ToArray();
        var reference = Reference(c, dense[0], dense[1], dense[2], weights);

        using var scope = new TensorScope();
        using var tape = new GradientTape();   // open before the views are taken, so their backward runs too
        var leaves = operands.Select(o => new Variable(Tensor.FromArray(Cpu, o.Leaf, o.LeafShape), requiresGrad: true)).ToArray();
        var views = operands.Select((o, i) => o.View(leaves[i])).ToArray();
        var output = Variable.CausalAttention(views[0], views[1], views[2], c.Heads);
        Compare(reference.Y, output.Value.ToArray(), $"{c}: y");
        var w = new Variable(Tensor.FromArray(Cpu, weights, c.Batch, c.Length, width));
        tape.Backward((output * w).Sum());
        string[] names = ["dq", "dk", "dv"];
        double[][] expected = [reference.Dq, reference.Dk, reference.Dv];
        for (int o = 0; o < 3; o++)
        {
            // The leaf's gradient, gathered back into [B, T, C] order.
            var leafGrad = leaves[o].Grad!.ToArray();
            var grad = new float[n];
            for (int i = 0; i < c.Batch; i++)
                for (int j = 0; j < c.Length; j++)
                    for (int k = 0; k < width; k++) grad[(i * c.Length + j) * width + k] = leafGrad[operands[o].At(i, j, k)];
            Compare(expected[o], grad, $"{c}: {names[o]}");
        }

        // The probabilities the backward pass keeps: the reference's, and exactly zero above the diagonal.
        var (y, probabilities) = Tensor.CausalAttention(views[0].Value, views[1].Value, views[2].Value, c.Heads);
        var (inferred, none) = Tensor.CausalAttention(views[0].Value, views[1].Value, views[2].Value, c.Heads, keepProbabilities: false);
        Assert.Null(none);
        Assert.Equal(y.ToArray(), inferred.ToArray());   // the same output without keeping the probabilities
        y.Dispose();
        inferred.Dispose();
        using (probabilities)
        {
            var p = probabilities!.ToArray();
            for (int row = 0; row < c.Batch * c.Heads * c.Length; row++)
            {
                int i = row % c.Length;
                for (int j = 0; j < c.Length; j++)
                {
                    float value = p[row * c.Length + j];
                    double want = reference.P[row * c.Length + j];
                    if (j > i) Assert.True(value == 0, $"{c}: P[{row}, {j}] = {value} above the diagonal");
                    else Assert.True(Math.Abs(value - want) <= 1e-5, $"{c}: P[{row}, {j}] = {value}, expected {want}");
                }
            }
        }
    }

    private static void Compare(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs) + 1e-3;
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 2e-5 * scale + 1e-5 * Math.Abs(expected[i]),
                        $"{what}[{i}]: expected {expected[i]}, got {actual[i]} (scale {scale})");
    }

    /// <summary>y and the gradients of Σ w ⊙ y in double, straight from the definitions, one (batch, head) at a time.</summary>
    private static (double[] Y, double[] Dq, double[] Dk, double[] Dv, double[] P) Reference(Case c, float[] q, float[] k, float[] v, float[] w)
    {
        int t = c.Length, hs = c.HeadSize, width = c.Heads * hs, n = c.Batch * t * width;
        double scale = 1 / Math.Sqrt(hs);
        double[] y = new double[n], dq = new double[n], dk = new double[n], dv = new double[n];
        var probabilities = new double[c.Batch * c.Heads * t * t];
        for (int b = 0; b < c.Batch; b++)
        for (int h = 0; h < c.Heads; h++)
        {
            int At(int row, int d) => (b * t + row) * width + h * hs + d;
            var p = new double[t, t];
            for (int i = 0; i < t; i++)
            {
                double max = double.NegativeInfinity;
                var s = new double[i + 1];
                for (int j = 0; j <= i; j++)
                {
                    for (int d = 0; d < hs; d++) s[j] += q[At(i, d)] * (double)k[At(j, d)];
                    s[j] *= scale;
                    max = Math.Max(max, s[j]);
                }
                double sum = s.Sum(x => Math.Exp(x - max));
                for (int j = 0; j <= i; j++) probabilities[((b * c.Heads + h) * t + i) * t + j] = p[i, j] = Math.Exp(s[j] - max) / sum;
                for (int d = 0; d < hs; d++)
                    for (int j = 0; j <= i; j++) y[At(i, d)] += p[i, j] * v[At(j, d)];
            }
            // dy = w; dP = dy·vᵀ; dS = P ⊙ (dP − Σ_j P dP); dq = scale·dS·k; dk = scale·dSᵀ·q; dv = Pᵀ·dy.
            for (int i = 0; i < t; i++)
            {
                var dp = new double[i + 1];
                for (int j = 0; j <= i; j++)
                    for (int d = 0; d < hs; d++) dp[j] += w[At(i, d)] * (double)v[At(j, d)];
                double dot = 0;
                for (int j = 0; j <= i; j++) dot += p[i, j] * dp[j];
                for (int j = 0; j <= i; j++)
                {
                    double ds = p[i, j] * (dp[j] - dot);
                    for (int d = 0; d < hs; d++)
                    {
                        dq[At(i, d)] += scale * ds * k[At(j, d)];
                        dk[At(j, d)] += scale * ds * q[At(i, d)];
                        dv[At(j, d)] += p[i, j] * w[At(i, d)];
                    }
                }
            }
        }
        return (y, dq, dk, dv, probabilities);
    }

    [Fact]
    public void FusedAttentionPassesGradCheck()
    {
        if (!Available) return;   // the kernel is refused there (checked above)
        var rng = new Random(5);
        float[] Draw() => Enumerable.Range(0, 1 * 5 * 32).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var report = GradCheck.Run(Cpu, x => WeightedSum(Variable.CausalAttention(x[0], x[1], x[2], heads: 2)),
                                   [(Draw(), [1, 5, 32]), (Draw(), [1, 5, 32]), (Draw(), [1, 5, 32])],
                                   new GradCheckOptions(MaxElementsPerInput: 40));
        Assert.True(report.Passed, report.ToString());
    }

    [Fact]
    public void TheGptGivesTheSameLossAndGradientsWithTheFusedKernelAsComposed()
    {
        // Without the kernel both runs compose attention: the comparison still holds, it just tests less.
        using var model = new GptModel(new GptConfig(VocabSize: 23, BlockSize: 20, Layers: 2, Heads: 2, Width: 64), Cpu,
                                       InitScheme.Normal, seed: 4);
        var rng = new Random(8);
        int[] ids = Enumerable.Range(0, 3 * 19).Select(_ => rng.Next(23)).ToArray();
        int[] next = Enumerable.Range(0, 3 * 19).Select(_ => rng.Next(23)).ToArray();
        (double Loss, float[][] Grads) Run(bool fused)
        {
            foreach (var block in model.Blocks) block.Attention.FusedKernel = fused;
            using var scope = new TensorScope();
            using var tokens = Tensor.FromArray(Cpu, ids, 3, 19);
            using var targets = Tensor.FromArray(Cpu, next, 3, 19);
            model.Parameters.ZeroGrads();
            using var tape = new GradientTape();
            var loss = model.Loss(tokens, targets);
            tape.Backward(loss);
            return (loss.Value.ToArray()[0], model.Parameters.Weights.Select(w => w.Parameter.ReadGrad()).ToArray());
        }
        var composed = Run(fused: false);
        var fusedRun = Run(fused: true);
        Assert.Equal(composed.Loss, fusedRun.Loss, 1e-4);
        for (int i = 0; i < composed.Grads.Length; i++)
        {
            double scale = composed.Grads[i].Max(Math.Abs) + 1e-6;
            for (int e = 0; e < composed.Grads[i].Length; e++)
                Assert.True(Math.Abs(composed.Grads[i][e] - fusedRun.Grads[i][e]) <= 1e-4 * scale,
                            $"{model.Parameters.Weights[i].Name}[{e}]: composed {composed.Grads[i][e]}, fused {fusedRun.Grads[i][e]}");
        }
    }
}
