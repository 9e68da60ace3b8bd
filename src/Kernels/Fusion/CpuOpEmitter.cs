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
    public Expression Gate(Expression c, Expression x) => vector
        ? Call(isa.Generic("ConditionalSelect", 3, F), Call(isa.Generic("Equals", 2, F), c, constant(0f)), constant(0f), Multiply(c, x))
        : Condition(Equal(c, constant(0f)), constant(0f), Multiply(c, x));

    private Expression Exp(Expression a) => vector ? Call(isa.Exact("Exp", isa.Vector), a) : Math1("Exp", a);

    private Expression Sqrt(Expression a) => vector ? Call(isa.Generic("Sqrt", 1, F), a) : Math1("Sqrt", a);

    private Expression Max(Expression a, Expression b) => vector ? Call(isa.Generic("Max", 2, F), a, b) : Math2("Max", a, b);

    private Expression Compare(string name, Expression a, Expression b) => vector
        ? And(Call(isa.Generic(name, 2, F), a, b), constant(1f))
        : Condition(name == "GreaterThan" ? GreaterThan(a, b) : LessThan(a, b), constant(1f), constant(0f));

    /// <summary>
    /// Vector tanh: an odd Taylor polynomial for |x| &lt; 0.125 (where 1 - 2/(e^2x + 1) loses digits),
    /// that formula elsewhere (it saturates to ±1 correctly when e^2x overflows or underflows).
    /// </summary>
    private Expression Tanh(Expression x)
    {
        if (!vector) return Math1("Tanh", x);
        var v = Variable(isa.Vector, "tanh_x");
        var x2 = Multiply(v, v);
        var poly = Multiply(v, Add(constant(1f), Multiply(x2, Add(constant(-1f / 3f),
                    Multiply(x2, Add(constant(2f / 15f), Multiply(x2, constant(-17f / 315f))))))));
        var wide = Subtract(constant(1f), Divide(constant(2f), Add(Exp(Multiply(constant(2f), v)), constant(1f))));
        var small = Call(isa.Generic("LessThan", 2, F), Call(isa.Generic("Abs", 1, F), v), constant(0.125f));
        return Block(isa.Vector, [v], Assign(v, x), Call(isa.Generic("ConditionalSelect", 3, F), small, poly, wide));
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
