using Engine.Kernels.Fusion;

namespace Engine.Tensors;

/// <summary>Scalar-on-the-left programs (s - x, s / x) that the standard elementwise set has no entry for.</summary>
internal static class ReversedScalarOps
{
    public static FusedProgram Sub { get; } = Build("scalar_sub", (x, s) => s - x);
    public static FusedProgram Div { get; } = Build("scalar_div", (x, s) => s / x);

    private static FusedProgram Build(string name, Func<Expr, Expr, Expr> body)
    {
        var f = new FusionBuilder(name);
        var x = f.Input("x");
        var s = f.Scalar("s");
        f.Output("y", body(x, s));
        return f.Build();
    }
}
