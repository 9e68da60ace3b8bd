using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;
using Engine.Tests.Support;
using Xunit;

namespace Engine.Tests.Fusion;

/// <summary>Bad launches and bad programs fail with messages naming what was expected and what was given.</summary>
public sealed class FusionBadInputTests
{
    private static readonly ComputeDevice Cpu = Backends.Get("cpu");

    private static StridedSlice Dense(DeviceBuffer b, long n) => new(b, 0, [n], [1]);

    [Fact]
    public void WrongInputCountNamesExpectedAndActual()
    {
        using var a = Cpu.Allocate(8);
        var e = Assert.Throws<ArgumentException>(() =>
            ElementwiseOps.Add.ExecuteOnCpu(new FusedLaunch([8], [Dense(a, 8)], [a], [])));
        Assert.Contains("expects 2 inputs (a, b)", e.Message);
        Assert.Contains("passes 1", e.Message);
    }

    [Fact]
    public void WrongScalarCountNamesExpectedAndActual()
    {
        using var a = Cpu.Allocate(8);
        var e = Assert.Throws<ArgumentException>(() =>
            ElementwiseOps.Scale.ExecuteOnCpu(new FusedLaunch([8], [Dense(a, 8)], [a], [1f, 2f])));
        Assert.Contains("expects 1 scalars (s)", e.Message);
        Assert.Contains("passes 2", e.Message);
    }

    [Fact]
    public void MismatchedInputShapeIsNamed()
    {
        using var a = Cpu.Allocate(12);
        var e = Assert.Throws<ArgumentException>(() => ElementwiseOps.Add.ExecuteOnCpu(new FusedLaunch([3, 4],
            [new(a, 0, [3, 4], [4, 1]), new(a, 0, [4, 3], [3, 1])], [a], [])));
        Assert.Contains("input 1 ('b') has shape [4, 3], expected the launch shape [3, 4]", e.Message);
    }

    [Fact]
    public void OutOfRangeViewsAreRejected()
    {
        using var a = Cpu.Allocate(10);
        using var small = Cpu.Allocate(5);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            ElementwiseOps.Neg.ExecuteOnCpu(new FusedLaunch([10], [Dense(a, 10)], [small], [])));
        Assert.Contains("output 0 ('out') needs elements [0, 10) but its buffer holds 5", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            ElementwiseOps.Neg.ExecuteOnCpu(new FusedLaunch([10], [new(a, 1, [10], [1])], [a], [])));
        Assert.Contains("reaches elements [1, 10] but its buffer holds 10", e.Message);
    }

    [Fact]
    public void ReferenceInputCountIsChecked()
    {
        var e = Assert.Throws<ArgumentException>(() => ElementwiseOps.Add.EvaluateReference(3, [new double[3]], []));
        Assert.Contains("expects 2 inputs, got 1", e.Message);
    }

    [Fact]
    public void LeavesOfAnotherBuilderAreRejected()
    {
        var other = new FusionBuilder("other");
        var foreign = other.Input("z");
        var b = new FusionBuilder("mine");
        b.Output("out", b.Input("x") + foreign);
        var e = Assert.Throws<ArgumentException>(() => b.Build());
        Assert.Contains("input 'z' was declared by program 'other'", e.Message);
    }

    [Fact]
    public void ReductionMustBeAReductionNode()
    {
        var b = new FusionBuilder("bad");
        var e = Assert.Throws<ArgumentException>(() => b.Reduction("r", b.Input("x") * 2f));
        Assert.Contains("needs a reduction node", e.Message);
        Assert.Throws<InvalidOperationException>(() => new FusionBuilder("empty").Build());
        Assert.Throws<ArgumentException>(() => Expr.Constant(float.NaN));
    }
}
