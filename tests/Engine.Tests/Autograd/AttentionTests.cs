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
    public sealed record Case(int Batch, int Length, int Heads, int HeadSize, bool PackedBlocks, int Seed);

    private static readonly Gen<Case> Cases =
        from batch in Gen.Choose(1, 3)
        from length in Gen.OneOf(Gen.Choose(1, 20), Gen.Elements(15, 16, 17, 31, 33, 63, 64, 65, 80))
        from heads in Gen.Choose(1, 3)
        from headSize in Gen.Elements(16, 32, 48)
        from packed in Gen.Elements(false, true)
        from seed in Seed
        select new Case(batch, length, heads, headSize, packed, seed);

    private static bool Available => Tensor.SupportsCausalAttention(Cpu, 16);

    [Fact]
    public void FusedAttentionMatchesADoubleReference()
    {
        if (!Available) return;   // the cpu kernel needs AVX-512; elsewhere the model composes attention (tested below)
        Prop.ForAll(Cases.ToArbitrary(), Verify).Check(TestSeeds.Quick(40));
    }

    private static void Verify(Case c)
    {
        int width = c.Heads * c.HeadSize, n = c.Batch * c.Length * width;
        var rng = new Random(c.Seed);
        float[] Draw(int count) => Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        float[] q = Draw(n), k = Draw(n), v = Draw(n), weights = Draw(n);
        using var scope = new TensorScope();
        using var tape = new GradientTape();   // open before the views are taken, so their backward runs too
        Variable qv, kv, vv;
        Variable? packedInput = null;
        if (c.PackedBlocks)
        {
            // q, k, v as the three blocks of one [B, T, 3C] tensor: views whose rows are 3C apart, read in place.
            var packed = new float[3 * n];
            for (int row = 0; row < c.Batch * c.Length; row++)
            {
                Array.Copy(q, row * width, packed, row * 3 * width, width);
                Array.Copy(k, row * width, packed, row * 3 * width + width, width);
                Array.Copy(v, row * width, packed, row * 3 * width + 2 * width, width);
            }
            var all = new Variable(Tensor.FromArray(Cpu, packed, c.Batch, c.Length, 3 * width), requiresGrad: true);
            qv = all.Slice(2, 0, width); kv = all.Slice(2, width, width); vv = all.Slice(2, 2 * width, width);
            packedInput = all;
            Assert.False(qv.Value.IsContiguous);
        }
        else
        {
            qv = new Variable(Tensor.FromArray(Cpu, q, c.Batch, c.Length, width), requiresGrad: true);
            kv = new Variable(Tensor.FromArray(Cpu, k, c.Batch, c.Length, width), requiresGrad: true);
            vv = new Variable(Tensor.FromArray(Cpu, v, c.Batch, c.Length, width), requiresGrad: true);
        }
        var output = Variable.CausalAttention(qv, kv, vv, c.Heads);
        var y = output.Value.ToArray();
        var w = new Variable(Tensor.FromArray(Cpu, weights, c.Batch, c.Length, width));
        tape.Backward((output * w).Sum());
        var (dq, dk, dv) = packedInput is not null ? Unpack(packedInput, width) : (qv.Grad!.ToArray(), kv.Grad!.ToArray(), vv.Grad!.ToArray());
        var reference = Reference(c, q, k, v, weights);
        Compare(reference.Y, y, $"{c}: y");
        Compare(reference.Dq, dq, $"{c}: dq");
        Compare(reference.Dk, dk, $"{c}: dk");
        Compare(reference.Dv, dv, $"{c}: dv");
    }

    /// <summary>The gradients of the packed [B, T, 3C] input split back into its q, k and v blocks.</summary>
    private static (float[], float[], float[]) Unpack(Variable packed, int width)
    {
        var all = packed.Grad!.ToArray();
        int rows = all.Length / (3 * width);
        float[] Block(int b)
        {
            var block = new float[rows * width];
            for (int row = 0; row < rows; row++) Array.Copy(all, row * 3 * width + b * width, block, row * width, width);
            return block;
        }
        return (Block(0), Block(1), Block(2));
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
    private static (double[] Y, double[] Dq, double[] Dk, double[] Dv) Reference(Case c, float[] q, float[] k, float[] v, float[] w)
    {
        int t = c.Length, hs = c.HeadSize, width = c.Heads * hs, n = c.Batch * t * width;
        double scale = 1 / Math.Sqrt(hs);
        double[] y = new double[n], dq = new double[n], dk = new double[n], dv = new double[n];
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
                for (int j = 0; j <= i; j++) p[i, j] = Math.Exp(s[j] - max) / sum;
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
        return (y, dq, dk, dv);
    }

    [Fact]
    public void FusedAttentionPassesGradCheck()
    {
        if (!Available) return;
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
        if (!Available) return;
        using var model = new GptModel(new GptConfig(VocabSize: 23, BlockSize: 20, Layers: 2, Heads: 2, Width: 32), Cpu,
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
        Assert.Equal(composed.Loss, fusedRun.Loss, 4);
        for (int i = 0; i < composed.Grads.Length; i++)
        {
            double scale = composed.Grads[i].Max(Math.Abs) + 1e-6;
            for (int e = 0; e < composed.Grads[i].Length; e++)
                Assert.True(Math.Abs(composed.Grads[i][e] - fusedRun.Grads[i][e]) <= 1e-4 * scale,
                            $"{model.Parameters.Weights[i].Name}[{e}]: composed {composed.Grads[i][e]}, fused {fusedRun.Grads[i][e]}");
        }
    }
}
