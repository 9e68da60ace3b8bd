using Engine.Kernels.Fusion;
using Engine.Tensors;

namespace Engine.Autograd;

/// <summary>
/// Elementwise ops with NumPy broadcasting and their derivative rules. A broadcast input's gradient is the
/// output gradient summed back to the input's shape (<see cref="GradientShapes.SumToShape"/>). Derivatives that
/// take more than one op are fused programs, so each costs one pass over memory.
/// </summary>
public sealed partial class Variable
{
    public static Variable operator +(Variable a, Variable b) =>
        Binary("Add", a, b, a.Value + b.Value, (g, _) => Same(g), (g, _) => Same(g));

    public static Variable operator -(Variable a, Variable b) =>
        Binary("Sub", a, b, a.Value - b.Value, (g, _) => Same(g), (g, _) => -g);

    public static Variable operator *(Variable a, Variable b) =>
        Binary("Mul", a, b, a.Value * b.Value, (g, _) => g * b.Value, (g, _) => g * a.Value);

    /// <summary>d(a/b)/da = 1/b, d(a/b)/db = -a/b².</summary>
    public static Variable operator /(Variable a, Variable b) =>
        Binary("Div", a, b, a.Value / b.Value, (g, _) => g / b.Value,
               (g, _) => Tensor.Map(DivGradDenominator, "DivBackward", [], g, a.Value, b.Value));

    public static Variable operator -(Variable a) => Unary("Neg", a, -a.Value, (g, _) => -g);

    public static Variable operator +(Variable a, float s) => Unary("AddScalar", a, a.Value + s, (g, _) => Same(g));
    public static Variable operator +(float s, Variable a) => a + s;
    public static Variable operator -(Variable a, float s) => a + (-s);
    public static Variable operator -(float s, Variable a) => Unary("ScalarSub", a, s - a.Value, (g, _) => -g);
    public static Variable operator *(Variable a, float s) => Unary("MulScalar", a, a.Value * s, (g, _) => g * s);
    public static Variable operator *(float s, Variable a) => a * s;
    public static Variable operator /(Variable a, float s) => a * (1f / s);

    /// <summary>d(s/a)/da = -s/a² = -y/a.</summary>
    public static Variable operator /(float s, Variable a) =>
        Unary("ScalarDiv", a, s / a.Value, (g, y) => Tensor.Map(ScalarDivGrad, "ScalarDivBackward", [], g, y, a.Value));

    /// <summary>Subgradient 0 at 0 (sign(0) = 0), as PyTorch.</summary>
    public Variable Abs() => Unary("Abs", this, Value.Abs(), (g, _) => Tensor.Map(AbsGrad, "AbsBackward", [], g, Value));

    public Variable Exp() => Unary("Exp", this, Value.Exp(), (g, y) => g * y);
    public Variable Log() => Unary("Log", this, Value.Log(), (g, _) => g / Value);
    public Variable Sqrt() => Unary("Sqrt", this, Value.Sqrt(), (g, y) => Tensor.Map(SqrtGrad, "SqrtBackward", [], g, y));
    public Variable Rsqrt() => Unary("Rsqrt", this, Value.Rsqrt(), (g, y) => Tensor.Map(RsqrtGrad, "RsqrtBackward", [], g, y));
    public Variable Tanh() => Unary("Tanh", this, Value.Tanh(), (g, y) => Tensor.Map(TanhGrad, "TanhBackward", [], g, y));

    /// <summary>Gradient 0 at 0, as PyTorch.</summary>
    public Variable Relu() => Unary("Relu", this, Value.Relu(), (g, _) => Tensor.Map(ReluGrad, "ReluBackward", [], g, Value));

    /// <summary>GELU, tanh approximation; its derivative is one fused program.</summary>
    public Variable Gelu() => Unary("Gelu", this, Value.Gelu(), (g, _) => Tensor.Map(GeluGrad, "GeluBackward", [], g, Value));

    /// <summary>x^p; d/dx = p·x^(p-1).</summary>
    public Variable Pow(float exponent) =>
        Unary("Pow", this, Value.Pow(exponent), (g, _) => Tensor.Map(PowGrad, "PowBackward", [exponent], g, Value));

    /// <summary>Elementwise maximum. Where a == b the gradient is split evenly (half to each), as PyTorch.</summary>
    public static Variable Maximum(Variable a, Variable b) =>
        Binary("Maximum", a, b, Tensor.Maximum(a.Value, b.Value),
               (g, _) => Tensor.Map(WinnerGrad, "MaximumBackward", [], g, a.Value, b.Value),
               (g, _) => Tensor.Map(WinnerGrad, "MaximumBackward", [], g, b.Value, a.Value));

    /// <summary>Elementwise minimum. Where a == b the gradient is split evenly (half to each), as PyTorch.</summary>
    public static Variable Minimum(Variable a, Variable b) =>
        Binary("Minimum", a, b, Tensor.Minimum(a.Value, b.Value),
               (g, _) => Tensor.Map(WinnerGrad, "MinimumBackward", [], g, b.Value, a.Value),
               (g, _) => Tensor.Map(WinnerGrad, "MinimumBackward", [], g, a.Value, b.Value));

    /// <summary>condition ≠ 0 ? a : b (all three broadcast). The condition is data: it gets no gradient.</summary>
    public static Variable Where(Tensor condition, Variable a, Variable b) =>
        Binary("Where", a, b, Tensor.Where(condition, a.Value, b.Value),
               (g, _) => Tensor.Map(WhereGradA, "WhereBackward", [], condition, g),
               (g, _) => Tensor.Map(WhereGradB, "WhereBackward", [], condition, g));

    /// <summary>Records a one-input op; <paramref name="gradient"/>(outputGrad, output) returns d/dinput.</summary>
    private static Variable Unary(string op, Variable a, Tensor output, Func<Tensor, Tensor, Tensor> gradient) =>
        GradientTape.Record(op, output, [a], g => [gradient(g, output)]);

    /// <summary>
    /// Records a broadcasting two-input op. The gradient functions return d/da and d/db over the output's
    /// (broadcast) shape; they are summed back to each input's shape here, and skipped for inputs needing none.
    /// </summary>
    private static Variable Binary(string op, Variable a, Variable b, Tensor output,
                                   Func<Tensor, Tensor, Tensor> gradientA, Func<Tensor, Tensor, Tensor> gradientB) =>
        GradientTape.Record(op, output, [a, b], g =>
            [a.RequiresGrad ? ReduceTo(gradientA(g, output), a) : null,
             b.RequiresGrad ? ReduceTo(gradientB(g, output), b) : null]);

    private static Tensor ReduceTo(Tensor broadcastGradient, Variable input)
    {
        using (broadcastGradient) return GradientShapes.SumToShape(broadcastGradient, input.Value.Shape);
    }

    /// <summary>A new tensor object sharing <paramref name="t"/>'s elements (dense: a view).</summary>
    private static Tensor Same(Tensor t) => t.Reshape(t.Shape.ToArray());

    private static readonly FusedProgram DivGradDenominator = Program("div_grad_denominator", ["g", "a", "b"], x => -(x[0] * x[1]) / (x[2] * x[2]));
    private static readonly FusedProgram ScalarDivGrad = Program("scalar_div_grad", ["g", "y", "a"], x => -(x[0] * x[1]) / x[2]);
    private static readonly FusedProgram AbsGrad = Program("abs_grad", ["g", "x"],
        x => Fx.Where(Fx.Greater(x[1], 0f), x[0], Fx.Where(Fx.Less(x[1], 0f), -x[0], 0f)));
    private static readonly FusedProgram SqrtGrad = Program("sqrt_grad", ["g", "y"], x => 0.5f * x[0] / x[1]);
    private static readonly FusedProgram RsqrtGrad = Program("rsqrt_grad", ["g", "y"], x => -0.5f * x[0] * (x[1] * x[1] * x[1]));
    private static readonly FusedProgram TanhGrad = Program("tanh_grad", ["g", "y"], x => x[0] * (1f - x[1] * x[1]));
    private static readonly FusedProgram ReluGrad = Program("relu_grad", ["g", "x"], x => Fx.Where(Fx.Greater(x[1], 0f), x[0], 0f));
    private static readonly FusedProgram WhereGradA = Program("where_grad_a", ["cond", "g"], x => Fx.Where(x[0], x[1], 0f));
    private static readonly FusedProgram WhereGradB = Program("where_grad_b", ["cond", "g"], x => Fx.Where(x[0], 0f, x[1]));

    /// <summary>g where p &gt; q, 0 where p &lt; q, g/2 on ties: the share of p in max(p, q).</summary>
    private static readonly FusedProgram WinnerGrad = Program("winner_grad", ["g", "p", "q"],
        x => x[0] * Fx.Where(Fx.Greater(x[1], x[2]), 1f, Fx.Where(Fx.Less(x[1], x[2]), 0f, 0.5f)));

    /// <summary>
    /// d/dx of 0.5·x·(1 + tanh(u)), u = c·(x + 0.044715·x³), c = √(2/π):
    /// 0.5·(1 + t) + 0.5·x·(1 - t²)·c·(1 + 3·0.044715·x²), t = tanh(u).
    /// </summary>
    private static readonly FusedProgram GeluGrad = Program("gelu_grad", ["g", "x"], x =>
    {
        const float c = 0.7978845608028654f, k = 0.044715f;
        var v = x[1];
        var t = Fx.Tanh(c * (v + k * v * v * v));
        var derivative = 0.5f * (1f + t) + 0.5f * v * (1f - t * t) * (c * (1f + 3f * k * v * v));
        return x[0] * derivative;
    });

    private static readonly FusedProgram PowGrad = BuildPowGrad();

    private static FusedProgram BuildPowGrad()
    {
        var b = new FusionBuilder("pow_grad");
        var g = b.Input("g");
        var x = b.Input("x");
        var p = b.Scalar("p");
        b.Output("out", g * p * Fx.Pow(x, p - 1f));
        return b.Build();
    }

    /// <summary>A one-output fused program of the named inputs.</summary>
    internal static FusedProgram Program(string name, string[] inputs, Func<Expr[], Expr> body)
    {
        var b = new FusionBuilder(name);
        var leaves = inputs.Select(n => b.Input(n)).ToArray();
        b.Output("out", body(leaves));
        return b.Build();
    }
}
