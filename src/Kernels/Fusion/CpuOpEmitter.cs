using System.Linq.Expressions;
using static System.Linq.Expressions.Expression;

namespace Engine.Kernels.Fusion;

/// <summary>
/// Turns one fusion op into an expression-tree node, either over SIMD vectors (main loop) or over float
/// (tail and gather loops). Constants come from <paramref name="constant"/> so the vector loop can hoist them.
/// tanh, sigmoid, gelu and pow have no vector primitive and are composed from exp/log.
/// </summary>
internal sealed class CpuOpEmitter(CpuVectorIsa isa, bool vector, Func<float, Expression> constant)
{
    private static readonly Type F = typeof(float);

    public Expression Emit(FxOp op, Expression a, Expression? b, Expression? c) => op switch
    {
        FxOp.Neg => Negate(a),
        FxOp.Add => Add(a, b!),
        FxOp.Sub => Subtract(a, b!),
        FxOp.Mul => Multiply(a, b!),
        FxOp.Div => Divide(a, b!),
        FxOp.Exp => Exp(a),
        FxOp.Log => vector ? Call(isa.Exact("Log", isa.Vector), a) : Math1("Log", a),
        FxOp.Sqrt => Sqrt(a),
        FxOp.Rsqrt => Divide(constant(1f), Sqrt(a)),
        FxOp.Abs => vector ? Call(isa.Generic("Abs", 1, F), a) : Math1("Abs", a),
        FxOp.Relu => Max(a, constant(0f)),
        FxOp.Max => Max(a, b!),
        FxOp.Min => vector ? Call(isa.Generic("Min", 2, F), a, b!) : Math2("Min", a, b!),
        FxOp.Fma => vector ? Call(isa.Exact("FusedMultiplyAdd", isa.Vector, isa.Vector, isa.Vector), a, b!, c!)
                           : Call(typeof(MathF).GetMethod("FusedMultiplyAdd", [F, F, F])!, a, b!, c!),
        FxOp.Greater => Compare("GreaterThan", a, b!),
        FxOp.Less => Compare("LessThan", a, b!),
        FxOp.Where => vector
            ? Call(isa.Generic("ConditionalSelect", 3, F), Call(isa.Generic("Equals", 2, F), a, constant(0f)), c!, b!)
            : Condition(NotEqual(a, constant(0f)), b!, c!),
        FxOp.Gate => Gate(a, b!),
        FxOp.Tanh => Tanh(a),
        FxOp.Sigmoid => Divide(constant(1f), Add(constant(1f), Exp(Negate(a)))),
        FxOp.Gelu => Gelu(a),
        FxOp.Pow => vector ? VectorPow(a, b!) : Math2("Pow", a, b!),
        _ => throw new InvalidOperationException($"op {op} is not elementwise"),
    };

    /// <summary>c · x where c ≠ 0, else 0 (x is evaluated: the skipping is the kernel's, around the term's statements).</summary>
    public Expression Gate(Expression c, Expression x) => Emit(FxOp.Where, c, Multiply(c, x), constant(0f));

    private Expression Exp(Expression a) => vector ? Call(isa.Exact("Exp", isa.Vector), a) : Math1("Exp", a);

    private Expression Sqrt(Expression a) => vector ? Call(isa.Generic("Sqrt", 1, F), a) : Math1("Sqrt", a);

    private Expression Max(Expression a, Expression b) => vector ? Call(isa.Generic("Max", 2, F), a, b) : Math2("Max", a, b);

    private Expression Compare(string name, Expression a, Expression b) => vector
        ? And(Call(isa.Generic(name, 2, F), a, b), constant(1f))
        : Condition(name == "GreaterThan" ? GreaterThan(a, b) : LessThan(a, b), constant(1f), constant(0f));

    /// <summary>
    /// Vector tanh as x·P(x²)/Q(x²) on x clamped to [−9, 9] (the fit gives exactly 1 at 9; float tanh reaches 1 at
    /// ≈ 9.01): P of degree 6, Q of degree 3, a relative-error minimax fit made for Engine (linear least squares with
    /// Lawson reweighting on [0, 9], in 40-digit arithmetic). Worst relative error 3e-7 (about 2.5 ulp) in float; odd by
    /// construction; the result is clamped to [−1, 1] (the fit overshoots 1 by up to 2 ulp near 8.4–9, and 1 − tanh²
    /// must not go negative). One division and ten multiply-adds, where 1 − 2/(e^2x + 1) needed an exponential, a
    /// division and a small-|x| polynomial beside it.
    /// </summary>
    private Expression Tanh(Expression x)
    {
        if (!vector) return Math1("Tanh", x);
        var v = Variable(isa.Vector, "tanh_x");
        var x2 = Variable(isa.Vector, "tanh_x2");
        var clamped = Call(isa.Generic("Min", 2, F), Call(isa.Generic("Max", 2, F), x, constant(-TanhClamp)), constant(TanhClamp));
        var ratio = Divide(Multiply(v, Horner(x2, TanhNumerator)), Horner(x2, TanhDenominator));
        return Block(isa.Vector, [v, x2], Assign(v, clamped), Assign(x2, Multiply(v, v)),
            Call(isa.Generic("Min", 2, F), Call(isa.Generic("Max", 2, F), ratio, constant(-1f)), constant(1f)));
    }

    private const float TanhClamp = 9f;
    private static readonly float[] TanhNumerator =
        [0.9999999932307357f, 0.13083339547275963f, 0.0031032091321189646f, 1.1146529653386174e-05f,
         -2.0193760721211767e-08f, 5.262814085392763e-11f, -8.44992543245279e-14f];
    private static readonly float[] TanhDenominator = [1f, 0.4641666648417042f, 0.024492198133763222f, 0.0002545059790245231f];

    /// <summary>c[0] + y·(c[1] + y·(…)) with fused multiply-adds.</summary>
    private Expression Horner(Expression y, float[] c)
    {
        var fma = isa.Exact("FusedMultiplyAdd", isa.Vector, isa.Vector, isa.Vector);
        Expression sum = constant(c[^1]);
        for (int k = c.Length - 2; k >= 0; k--) sum = Call(fma, sum, y, constant(c[k]));
        return sum;
    }

    private Expression Gelu(Expression x)
    {
        var v = Variable(vector ? isa.Vector : F, "gelu_x");
        var inner = Multiply(constant(0.7978845608028654f),
                             Add(v, Multiply(constant(0.044715f), Multiply(v, Multiply(v, v)))));
        var body = Multiply(Multiply(constant(0.5f), v), Add(constant(1f), Tanh(inner)));
        return Block(v.Type, [v], Assign(v, x), body);
    }

    /// <summary>x^y = exp(y log|x|), negated for x &lt; 0 and odd integer y, NaN for x &lt; 0 and fractional y, 1 for y = 0.</summary>
    private Expression VectorPow(Expression x, Expression y)
    {
        var a = Variable(isa.Vector, "pow_x");
        var b = Variable(isa.Vector, "pow_y");
        var r = Variable(isa.Vector, "pow_r");
        var select = isa.Generic("ConditionalSelect", 3, F);
        var negative = Call(isa.Generic("LessThan", 2, F), a, constant(0f));
        return Block(isa.Vector, [a, b, r],
            Assign(a, x), Assign(b, y),
            Assign(r, Exp(Multiply(b, Call(isa.Exact("Log", isa.Vector), Call(isa.Generic("Abs", 1, F), a))))),
            Assign(r, Call(select, And(negative, Call(isa.Generic("IsOddInteger", 1, F), b)), Negate(r), r)),
            Assign(r, Call(select, Call(isa.Generic("AndNot", 2, F), negative, Call(isa.Generic("IsInteger", 1, F), b)),
                           constant(float.NaN), r)),
            Call(select, Call(isa.Generic("Equals", 2, F), b, constant(0f)), constant(1f), r));
    }

    private static Expression Math1(string name, Expression a) => Call(typeof(MathF).GetMethod(name, [F])!, a);

    private static Expression Math2(string name, Expression a, Expression b) => Call(typeof(MathF).GetMethod(name, [F, F])!, a, b);
}
