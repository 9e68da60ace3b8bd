namespace Engine.Kernels.Fusion;

/// <summary>
/// The ready-made programs behind the Tensor layer's elementwise ops. Inputs are named a, b (and cond for
/// <see cref="Where"/>); scalar parameters s. Each is built once, on first use of this class.
/// </summary>
public static class ElementwiseOps
{
    public static FusedProgram Add { get; } = Binary("add", (a, b) => a + b);
    public static FusedProgram Sub { get; } = Binary("sub", (a, b) => a - b);
    public static FusedProgram Mul { get; } = Binary("mul", (a, b) => a * b);
    public static FusedProgram Div { get; } = Binary("div", (a, b) => a / b);
    public static FusedProgram Maximum { get; } = Binary("maximum", Fx.Max);
    public static FusedProgram Minimum { get; } = Binary("minimum", Fx.Min);

    public static FusedProgram Neg { get; } = Unary("neg", a => -a);
    public static FusedProgram Abs { get; } = Unary("abs", Fx.Abs);
    public static FusedProgram Exp { get; } = Unary("exp", Fx.Exp);
    public static FusedProgram Log { get; } = Unary("log", Fx.Log);
    public static FusedProgram Sqrt { get; } = Unary("sqrt", Fx.Sqrt);
    public static FusedProgram Rsqrt { get; } = Unary("rsqrt", Fx.Rsqrt);
    public static FusedProgram Tanh { get; } = Unary("tanh", Fx.Tanh);
    public static FusedProgram Relu { get; } = Unary("relu", Fx.Relu);
    public static FusedProgram Sigmoid { get; } = Unary("sigmoid", Fx.Sigmoid);
    public static FusedProgram Gelu { get; } = Unary("gelu", Fx.Gelu);

    /// <summary>out = a ^ s.</summary>
    public static FusedProgram PowScalar { get; } = WithScalar("pow_scalar", Fx.Pow);

    /// <summary>out = a * s.</summary>
    public static FusedProgram Scale { get; } = WithScalar("scale", (a, s) => a * s);

    /// <summary>out = a + s.</summary>
    public static FusedProgram AddScalar { get; } = WithScalar("add_scalar", (a, s) => a + s);

    /// <summary>out = cond ≠ 0 ? a : b.</summary>
    public static FusedProgram Where { get; } = BuildWhere();

    /// <summary>out = a, read as <paramref name="from"/> and written as <paramref name="to"/> (fp32 ↔ bfloat16, or a copy).</summary>
    public static FusedProgram Convert(Devices.DType from, Devices.DType to) => Conversions.GetOrAdd((from, to), static key =>
    {
        var f = new FusionBuilder($"convert_{key.Item1}_{key.Item2}".ToLowerInvariant());
        f.Output("out", f.Input("a", key.Item1), key.Item2);
        return f.Build();
    });

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(Devices.DType, Devices.DType), FusedProgram> Conversions = new();

    /// <summary>Every program above with its name: for tests and for dumping kernel sources.</summary>
    public static IReadOnlyList<(string Name, FusedProgram Program)> All { get; } =
    [
        ("add", Add), ("sub", Sub), ("mul", Mul), ("div", Div), ("maximum", Maximum), ("minimum", Minimum),
        ("neg", Neg), ("abs", Abs), ("exp", Exp), ("log", Log), ("sqrt", Sqrt), ("rsqrt", Rsqrt), ("tanh", Tanh),
        ("relu", Relu), ("sigmoid", Sigmoid), ("gelu", Gelu), ("pow_scalar", PowScalar), ("scale", Scale),
        ("add_scalar", AddScalar), ("where", Where),
    ];

    private static FusedProgram Unary(string name, Func<Expr, Expr> f)
    {
        var b = new FusionBuilder(name);
        b.Output("out", f(b.Input("a")));
        return b.Build();
    }

    private static FusedProgram Binary(string name, Func<Expr, Expr, Expr> f)
    {
        var b = new FusionBuilder(name);
        var x = b.Input("a");
        b.Output("out", f(x, b.Input("b")));
        return b.Build();
    }

    private static FusedProgram WithScalar(string name, Func<Expr, Expr, Expr> f)
    {
        var b = new FusionBuilder(name);
        var x = b.Input("a");
        b.Output("out", f(x, b.Scalar("s")));
        return b.Build();
    }

    private static FusedProgram BuildWhere()
    {
        var b = new FusionBuilder("where");
        var cond = b.Input("cond");
        var x = b.Input("a");
        b.Output("out", Fx.Where(cond, x, b.Input("b")));
        return b.Build();
    }
}
