namespace Engine.Kernels.Fusion;

/// <summary>Functions that build fusion expressions (see <see cref="Expr"/>).</summary>
public static class Fx
{
    public static Expr Exp(Expr x) => new(FxOp.Exp, [x]);
    public static Expr Log(Expr x) => new(FxOp.Log, [x]);
    public static Expr Sqrt(Expr x) => new(FxOp.Sqrt, [x]);
    public static Expr Rsqrt(Expr x) => new(FxOp.Rsqrt, [x]);
    public static Expr Tanh(Expr x) => new(FxOp.Tanh, [x]);
    public static Expr Abs(Expr x) => new(FxOp.Abs, [x]);
    public static Expr Relu(Expr x) => new(FxOp.Relu, [x]);
    public static Expr Sigmoid(Expr x) => new(FxOp.Sigmoid, [x]);

    /// <summary>GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).</summary>
    public static Expr Gelu(Expr x) => new(FxOp.Gelu, [x]);

    public static Expr Pow(Expr x, Expr y) => new(FxOp.Pow, [x, y]);
    public static Expr Max(Expr a, Expr b) => new(FxOp.Max, [a, b]);
    public static Expr Min(Expr a, Expr b) => new(FxOp.Min, [a, b]);

    /// <summary>1 where a &gt; b, else 0.</summary>
    public static Expr Greater(Expr a, Expr b) => new(FxOp.Greater, [a, b]);

    /// <summary>1 where a &lt; b, else 0.</summary>
    public static Expr Less(Expr a, Expr b) => new(FxOp.Less, [a, b]);

    /// <summary>a where cond ≠ 0, else b.</summary>
    public static Expr Where(Expr cond, Expr a, Expr b) => new(FxOp.Where, [cond, a, b]);

    /// <summary>a * b + c with one rounding.</summary>
    public static Expr Fma(Expr a, Expr b, Expr c) => new(FxOp.Fma, [a, b, c]);

    /// <summary>Sum of x over the whole index space: one scalar.</summary>
    public static Expr Sum(Expr x) => new(FxOp.Sum, [x]);

    public static Expr SumSquares(Expr x) => Sum(x * x);

    public static Expr Dot(Expr a, Expr b) => Sum(a * b);

    /// <summary>Largest x over the whole index space (-inf when it is empty).</summary>
    public static Expr MaxReduce(Expr x) => new(FxOp.MaxReduce, [x]);
}
