using Engine.Autograd;
using Engine.Tensors;
using FsCheck.Fluent;
using Xunit;
using static Engine.Tests.Autograd.GradTesting;

namespace Engine.Tests.Autograd;

public class ElementwiseGradTests
{
    private static readonly GradCase[] UnaryCases =
    [
        new("neg", [Domain.Any], v => -v[0]),
        new("abs", [Domain.Any], v => v[0].Abs()),
        new("exp", [Domain.Any], v => v[0].Exp()),
        new("log", [Domain.Positive], v => v[0].Log()),
        new("sqrt", [Domain.Positive], v => v[0].Sqrt()),
        new("rsqrt", [Domain.Positive], v => v[0].Rsqrt()),
        new("tanh", [Domain.Any], v => v[0].Tanh()),
        new("relu", [Domain.Any], v => v[0].Relu()),
        new("gelu", [Domain.Any], v => v[0].Gelu()),
        new("pow 2", [Domain.Any], v => v[0].Pow(2f)),
        new("pow 3", [Domain.Any], v => v[0].Pow(3f)),
        new("pow 0.5", [Domain.Positive], v => v[0].Pow(0.5f)),
        new("pow -1.5", [Domain.Positive], v => v[0].Pow(-1.5f)),
        new("add scalar", [Domain.Any], v => v[0] + 1.5f),
        new("scalar add", [Domain.Any], v => 1.5f + v[0]),
        new("sub scalar", [Domain.Any], v => v[0] - 0.7f),
        new("scalar sub", [Domain.Any], v => 0.7f - v[0]),
        new("mul scalar", [Domain.Any], v => v[0] * -2.5f),
        new("scalar mul", [Domain.Any], v => 3f * v[0]),
        new("div scalar", [Domain.Any], v => v[0] / 4f),
        new("scalar div", [Domain.Positive], v => 2f / v[0]),
    ];

    private static readonly GradCase[] BinaryCases =
    [
        new("add", [Domain.Any], v => v[0] + v[1]),
        new("sub", [Domain.Any], v => v[0] - v[1]),
        new("mul", [Domain.Any], v => v[0] * v[1]),
        new("div", [Domain.Any, Domain.Positive], v => v[0] / v[1]),
        new("maximum", [Domain.OddTenths, Domain.EvenTenths], v => Variable.Maximum(v[0], v[1])),
        new("minimum", [Domain.OddTenths, Domain.EvenTenths], v => Variable.Minimum(v[0], v[1])),
        new("same input twice", [Domain.Any], v => v[0] * v[0] + v[1]),
    ];

    [Fact]
    public void UnaryOpsPassGradCheck() =>
        ForAll(from shape in Shape() from seed in Seed select (shape, seed), c => Check(UnaryCases, c.seed, c.shape));

    [Fact]
    public void BroadcastingBinaryOpsPassGradCheck() =>
        ForAll(from pair in BroadcastPair from seed in Seed select (pair, seed),
               c => Check(BinaryCases, c.seed, c.pair.A, c.pair.B));

    [Fact]
    public void WherePassesGradCheckAndGivesTheConditionNoGradient() =>
        ForAll(from pair in BroadcastPair from condShape in Gen.Elements(0, 1, 2) from seed in Seed select (pair, condShape, seed), c =>
        {
            // The condition broadcasts too: shaped like a, like b, or as a single element.
            var shape = c.condShape switch { 0 => c.pair.A, 1 => c.pair.B, _ => [1] };
            var rng = new Random(c.seed ^ 0x5bd1);
            var cond = Enumerable.Range(0, (int)Count(shape)).Select(_ => (float)rng.Next(2)).ToArray();
            var where = new GradCase("where", [Domain.Any],
                v => Variable.Where(Tensor.FromArray(v[0].Device, cond, shape), v[0], v[1]));
            Check([where], c.seed, c.pair.A, c.pair.B);
        });

    [Fact]
    public void MaximumAndMinimumSplitTiesEvenly()
    {
        using var scope = new TensorScope();
        using var tape = new GradientTape();
        var a = new Variable(Tensor.FromArray(Cpu, [1f, 2f, 3f], 3), requiresGrad: true);
        var b = new Variable(Tensor.FromArray(Cpu, [1f, 5f, 0f], 3), requiresGrad: true);
        var max = Variable.Maximum(a, b).Sum();
        var min = Variable.Minimum(a, b).Sum();
        max.Backward();
        Assert.Equal([0.5f, 0f, 1f], a.Grad!.ToArray());
        Assert.Equal([0.5f, 1f, 0f], b.Grad!.ToArray());
        a.ZeroGrad();
        b.ZeroGrad();
        min.Backward();
        Assert.Equal([0.5f, 1f, 0f], a.Grad!.ToArray());
        Assert.Equal([0.5f, 0f, 1f], b.Grad!.ToArray());
    }

    [Fact]
    public void ReluAndAbsHaveZeroGradientAtZero()
    {
        using var scope = new TensorScope();
        using var tape = new GradientTape();
        var x = new Variable(Tensor.FromArray(Cpu, [0f, -1f, 2f], 3), requiresGrad: true);
        var loss = (x.Relu() + x.Abs()).Sum();
        loss.Backward();
        Assert.Equal([0f, -1f, 2f], x.Grad!.ToArray());
    }
}
