namespace Engine.Kernels.Fusion;

/// <summary>The operations a fusion expression is made of.</summary>
public enum FxOp
{
    // leaves
    Input, Scalar, Constant,
    // unary
    Neg, Exp, Log, Sqrt, Rsqrt, Tanh, Abs, Relu, Sigmoid, Gelu,
    // binary
    Add, Sub, Mul, Div, Pow, Max, Min, Greater, Less,
    // c · x, with x not evaluated (its inputs not read) where c is 0 (Fx.Gate)
    Gate,
    // ternary
    Where, Fma,
    // a dot product over a hidden dimension whose extent and strides each launch gives (Fx.Contract)
    Contract,
    // reductions over the whole index space (their value is one scalar)
    Sum, MaxReduce,
}

internal static class FxOpInfo
{
    public static int Arity(FxOp op) => op switch
    {
        FxOp.Input or FxOp.Scalar or FxOp.Constant => 0,
        FxOp.Add or FxOp.Sub or FxOp.Mul or FxOp.Div or FxOp.Pow or FxOp.Max or FxOp.Min
            or FxOp.Greater or FxOp.Less or FxOp.Gate or FxOp.Contract => 2,
        FxOp.Where or FxOp.Fma => 3,
        _ => 1,
    };

    public static bool IsReduction(FxOp op) => op is FxOp.Sum or FxOp.MaxReduce;

    /// <summary>Lower-case name used in ToString and error messages.</summary>
    public static string Name(FxOp op) => op switch
    {
        FxOp.MaxReduce => "max_reduce",
        _ => op.ToString().ToLowerInvariant(),
    };
}
