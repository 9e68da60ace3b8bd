using Engine.Autograd;
using Engine.Tensors;
using FsCheck.Fluent;
using Xunit;
using static Engine.Tests.Autograd.GradTesting;

namespace Engine.Tests.Autograd;

public class ReductionGradTests
{
    private static GradCase[] Cases(int axis, bool keepDim) =>
    [
        new($"sum axis {axis} keep {keepDim}", [Domain.Any], v => v[0].Sum(axis, keepDim)),
        new("sum all", [Domain.Any], v => v[0].Sum()),
        new($"mean axis {axis} keep {keepDim}", [Domain.Any], v => v[0].Mean(axis, keepDim)),
        new("mean all", [Domain.Any], v => v[0].Mean()),
        new($"max axis {axis} keep {keepDim}", [Domain.Distinct], v => v[0].Max(axis, keepDim)),
        new("max all", [Domain.Distinct], v => v[0].Max()),
        new($"sum of squares axis {axis} keep {keepDim}", [Domain.Any], v => v[0].SumOfSquares(axis, keepDim)),
        new("sum of squares all", [Domain.Any], v => v[0].SumOfSquares()),
        new($"norm axis {axis} keep {keepDim}", [Domain.Any], v => v[0].Norm(axis, keepDim)),
        new("norm all", [Domain.Any], v => v[0].Norm()),
    ];

    [Fact]
    public void ReductionsPassGradCheck() =>
        ForAll(from shape in Shape()
               from axis in Gen.Choose(-shape.Length, shape.Length - 1)
               from keep in Gen.Elements(false, true)
               from seed in Seed
               select (shape, axis, keep, seed),
               c => Check(Cases(c.axis, c.keep), c.seed, c.shape));

    [Fact]
    public void TiedMaximaShareTheGradient()
    {
        using var scope = new TensorScope();
        using var tape = new GradientTape();
        var x = new Variable(Tensor.FromArray(Cpu, [3f, 1f, 3f, 2f, 5f, 5f], 2, 3), requiresGrad: true);
        var loss = x.Max(1).Sum() + x.Max();
        loss.Backward();
        Assert.Equal([0.5f, 0f, 0.5f, 0f, 1f, 1f], x.Grad!.ToArray());
    }

    [Fact]
    public void NormOfZeroHasZeroGradient()
    {
        using var scope = new TensorScope();
        using var tape = new GradientTape();
        var x = new Variable(Tensor.Zeros(Cpu, 4), requiresGrad: true);
        x.Norm().Backward();
        Assert.Equal(new float[4], x.Grad!.ToArray());
    }
}
