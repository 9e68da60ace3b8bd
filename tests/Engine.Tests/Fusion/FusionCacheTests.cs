using Engine.Kernels.Fusion;
using Xunit;

namespace Engine.Tests.Fusion;

/// <summary>
/// Building a program again returns the compiled one; scalar values do not enter its identity. The hash is structural
/// (names do not enter it); the name does enter the identity, since profiles label launches with it.
/// </summary>
public sealed class FusionCacheTests
{
    private static FusedProgram Axpy(string name, float constant, bool swap)
    {
        var b = new FusionBuilder(name);
        var x = b.Input("x"); var y = b.Input("y"); var a = b.Scalar("a");
        b.Output("out", swap ? y * a + x * constant : x * a + y * constant);
        return b.Build();
    }

    [Fact]
    public void SameStructureReturnsTheSameProgram()
    {
        var first = Axpy("axpy", 2f, false);
        Assert.Same(first, Axpy("axpy", 2f, false));               // built again: the compiled program
        Assert.Same(ElementwiseOps.Add, Build2("add", (p, q) => p + q));
        var renamed = Axpy("other_name", 2f, false);               // same structure, its own name in profiles
        Assert.NotSame(first, renamed);
        Assert.Equal(first.Hash, renamed.Hash);
        Assert.Equal("other_name", renamed.Name);
    }

    [Fact]
    public void DifferentStructureGetsADifferentHash()
    {
        var baseline = Axpy("axpy", 2f, false);
        Assert.NotEqual(baseline.Hash, Axpy("axpy", 3f, false).Hash);
        Assert.NotEqual(baseline.Hash, Axpy("axpy", 2f, true).Hash);
        Assert.NotEqual(ElementwiseOps.Add.Hash, ElementwiseOps.Sub.Hash);
        Assert.NotEqual(ElementwiseOps.Add.Hash, Build2("add_rev", (p, q) => q + p).Hash);
        Assert.NotSame(ElementwiseOps.Add, Build2("add_rev", (p, q) => q + p));
    }

    [Fact]
    public void CommonSubexpressionsAreShared()
    {
        var b = new FusionBuilder("cse");
        var x = b.Input("x");
        b.Output("out", Fx.Exp(x * 2f) + Fx.Exp(x * 2f));
        var program = b.Build();
        var source = program.EmitOpenCl();
        Assert.Equal(1, CountOf(source, "EXPF("));
        Assert.Equal(1, CountOf(source, "* 2.0f"));
    }

    [Fact]
    public void ToStringShowsTheExpression()
    {
        var program = FusedProgramTests.ClippedStep();
        var text = program.ToString();
        Assert.Contains("clipped_sgd(p, g | lr)", text);
        Assert.Contains("norm2 := sum(g * g)", text);
        Assert.Contains("p_new = p - lr * g * min(1, 1 / (sqrt(norm2) + 1E-06))".Replace("norm2", "sum(g * g)"), text);
    }

    private static FusedProgram Build2(string name, Func<Expr, Expr, Expr> f)
    {
        var b = new FusionBuilder(name);
        var x = b.Input("a");
        b.Output("out", f(x, b.Input("b")));
        return b.Build();
    }

    private static int CountOf(string text, string what)
    {
        int count = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal)) count++;
        return count;
    }
}
