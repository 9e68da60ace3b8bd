using Engine.Autograd;
using Engine.Kernels.Devices;
using Engine.Tensors;
using Engine.Tests.Support;
using Xunit;

namespace Engine.Tests.Autograd;

/// <summary>One forward + backward pass through every differentiable op, on each backend, compared with cpu.</summary>
public class CrossBackendGradTests
{
    public static TheoryData<string> BackendNames => Backends.Names;

    private static readonly int[][] Shapes = [[3, 4], [4, 5], [5], [5], [6, 4], [5]];
    private static readonly int[] Indices = [2, 0, 2];
    private static readonly int[] Targets = [1, 7, 0];
    private static readonly float[] Condition = [1f, 0f, 1f];

    /// <summary>A scalar built from every op with a backward rule (small shapes: PoCL is slow).</summary>
    private static Variable Composite(Variable[] v)
    {
        var (x, w, gamma, beta, table, bias) = (v[0], v[1], v[2], v[3], v[4], v[5]);
        var device = x.Device;
        var h = Variable.LayerNorm(Variable.MatMul(x, w), gamma, beta);                          // [3, 5]
        var a = h.Gelu() + h.Tanh() * 0.5f - h.Relu() / 3f + (h * h + 1f).Sqrt() * 0.1f - h.Abs() * 0.2f;
        a = Variable.Maximum(a, bias) + Variable.Minimum(a, bias) * 0.5f;                       // bias broadcasts
        a = Variable.Where(Tensor.FromArray(device, Condition, 3, 1), a, a.Exp() * 0.2f);
        var e = Variable.Gather(table, Tensor.FromArray(device, Indices, 3));                    // [3, 4]
        var joined = Variable.Concat(1, a, e);                                                   // [3, 9]
        var t = joined.Transpose().Contiguous().Reshape(9, 3).Permute(1, 0).Slice(1, 1, 8);      // [3, 8]
        var logits = t / (t.Pow(2f) + 1f) + 2f / (t * t + 1f) - (0.5f - t) * 0.1f;
        var loss = Variable.CrossEntropy(logits, Tensor.FromArray(device, Targets, 3));
        var extras = logits.Softmax().Max(1).Sum()
                     + logits.LogSoftmax().Mean()
                     + (t * t + 1f).Log().Mean(0).Sum()
                     + (t * t + 1f).Rsqrt().SumOfSquares(1, keepDim: true).Sum()
                     + t.Norm(1).Sum() + t.Norm() + t.SumOfSquares() * 0.01f
                     - (-t).Sum(0, keepDim: true).Mean() + t.Max()
                     + Variable.MatMul(joined.Reshape(3, 1, 9), joined.Reshape(3, 1, 9), false, true).Sum()
                     + Variable.MatMul(t, w.Slice(1, 0, 3), true, true).Mean()
                     + (joined - joined.Exp() / 4f).Sum();
        return loss + extras * 0.1f;
    }

    private static (float Loss, float[][] Grads) Run(ComputeDevice device, float[][] inputs)
    {
        using var scope = new TensorScope();
        using var tape = new GradientTape();
        var variables = inputs.Select((values, i) => new Variable(Tensor.FromArray(device, values, Shapes[i]), requiresGrad: true)).ToArray();
        var loss = Composite(variables);
        loss.Backward();
        return (loss.Value.Item(), variables.Select(v => v.Grad!.ToArray()).ToArray());
    }

    [Theory, MemberData(nameof(BackendNames))]
    public void ForwardAndBackwardAgreeWithCpu(string backend)
    {
        var rng = new Random(12345);
        var inputs = Shapes.Select(s => Enumerable.Range(0, s.Aggregate(1, (p, d) => p * d)).Select(_ => rng.NextSingle() * 2f - 1f).ToArray()).ToArray();
        var reference = Run(Backends.Get("cpu"), inputs);
        var actual = Run(Backends.Get(backend), inputs);
        Assert.True(Math.Abs(reference.Loss - actual.Loss) <= 1e-4 + 1e-4 * Math.Abs(reference.Loss),
            $"{backend}: loss {actual.Loss} vs cpu {reference.Loss}");
        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.Contains(reference.Grads[i], g => g != 0f);
            for (int k = 0; k < reference.Grads[i].Length; k++)
            {
                float expected = reference.Grads[i][k], got = actual.Grads[i][k];
                Assert.True(Math.Abs(expected - got) <= 1e-4 + 1e-3 * Math.Abs(expected),
                    $"{backend}: gradient of input {i} element {k}: {got} vs cpu {expected}");
            }
        }
    }

    [Fact]
    public void TheCompositePassesGradCheckOnCpu()
    {
        var rng = new Random(777);
        var inputs = Shapes.Select(s => (Enumerable.Range(0, s.Aggregate(1, (p, d) => p * d)).Select(_ => rng.NextSingle() * 2f - 1f).ToArray(), s)).ToArray();
        var report = GradCheck.Run(Backends.Get("cpu"), Composite, inputs, new GradCheckOptions(MaxElementsPerInput: 8));
        Assert.True(report.Passed, report.ToString());
    }
}
