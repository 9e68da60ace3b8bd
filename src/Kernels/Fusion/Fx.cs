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

    /// <summary>
    /// <paramref name="coefficient"/> · <paramref name="term"/>, except that where the coefficient is 0 the result is 0 and
    /// the term is not evaluated: the inputs only it reads are not read (and a NaN or infinity there does not leak
    /// through as 0 · ∞). An optional term costs no memory traffic while it is off — SGG's b · g_s, b = 0 in every step
    /// without a conflict. With a uniform coefficient (a scalar, a reduction, a broadcast input) the whole pass skips
    /// the reads; with one that varies per element, a SIMD step or GPU work-item skips them where all its lanes are 0.
    /// Only a gate outside any other gate's term skips reads (a nested one still gives the same values), and only what its
    /// term alone reads: a node the rest of the program or another gate's term also reads is evaluated outside, always.
    /// </summary>
    public static Expr Gate(Expr coefficient, Expr term) => new(FxOp.Gate, [coefficient, term]);

    /// <summary>a * b + c with one rounding.</summary>
    public static Expr Fma(Expr a, Expr b, Expr c) => new(FxOp.Fma, [a, b, c]);

    /// <summary>
    /// Σ_{k&lt;K} a_k · b_k at every element, where a_k is input <paramref name="a"/> read k·σ_a elements past where the
    /// element reads it (likewise b): a short dot product per element, e.g. the rank-K product
    /// (A B)[i, j] = Σ_k A[i, k] B[k, j] of two small factors over an [m, n] launch without forming it
    /// (A bound with strides [K, 0] and σ_a = 1, B with strides [0, 1] and σ_b = n). K, σ_a and σ_b are launch values
    /// (<see cref="FusedLaunch.Contractions"/>, one per contraction in program order). Both operands must be inputs
    /// that nothing else reads.
    /// </summary>
    public static Expr Contract(Expr a, Expr b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Op != FxOp.Input || b.Op != FxOp.Input)
            throw new ArgumentException(
                $"contract reads its operands at launch-given strides, so both must be inputs; got {FxOpInfo.Name(a.Op)} and {FxOpInfo.Name(b.Op)}");
        return new(FxOp.Contract, [a, b]);
    }

    /// <summary>Sum of x over the whole index space: one scalar.</summary>
    public static Expr Sum(Expr x) => new(FxOp.Sum, [x]);

    public static Expr SumSquares(Expr x) => Sum(x * x);

    public static Expr Dot(Expr a, Expr b) => Sum(a * b);

    /// <summary>Largest x over the whole index space (-inf when it is empty).</summary>
    public static Expr MaxReduce(Expr x) => new(FxOp.MaxReduce, [x]);
}
