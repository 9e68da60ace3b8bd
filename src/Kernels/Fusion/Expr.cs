namespace Engine.Kernels.Fusion;

/// <summary>
/// A node of a fusion expression: an elementwise function of the program's inputs (one value per element of
/// the index space), its scalar parameters and constants, or a reduction over the whole index space.
/// Built with the operators here, the functions of <see cref="Fx"/> and the leaves a <see cref="FusionBuilder"/>
/// hands out. Nodes are immutable; equal structure is shared when the program is built.
/// </summary>
public sealed class Expr
{
    private readonly Expr[] _args;

    internal Expr(FxOp op, Expr[] args, float value = 0f, int index = -1, FusionBuilder? owner = null, string? name = null)
    {
        if (args.Length != FxOpInfo.Arity(op))
            throw new ArgumentException($"{op} takes {FxOpInfo.Arity(op)} operands, got {args.Length}");
        foreach (var a in args) ArgumentNullException.ThrowIfNull(a);
        Op = op;
        _args = args;
        Value = value;
        Index = index;
        Owner = owner;
        Name = name;
    }

    public FxOp Op { get; }
    public IReadOnlyList<Expr> Args => _args;

    /// <summary>The value of a <see cref="FxOp.Constant"/>.</summary>
    public float Value { get; }

    /// <summary>Position of an input or scalar parameter in its program.</summary>
    public int Index { get; }

    /// <summary>Name of an input or scalar parameter.</summary>
    public string? Name { get; }

    internal FusionBuilder? Owner { get; }

    public static Expr Constant(float value)
    {
        if (float.IsNaN(value)) throw new ArgumentException("a fusion constant must not be NaN", nameof(value));
        return new Expr(FxOp.Constant, [], value);
    }

    public static implicit operator Expr(float value) => Constant(value);

    public static Expr operator +(Expr a, Expr b) => new(FxOp.Add, [a, b]);
    public static Expr operator -(Expr a, Expr b) => new(FxOp.Sub, [a, b]);
    public static Expr operator *(Expr a, Expr b) => new(FxOp.Mul, [a, b]);
    public static Expr operator /(Expr a, Expr b) => new(FxOp.Div, [a, b]);
    public static Expr operator -(Expr a) => new(FxOp.Neg, [a]);

    public override string ToString() => ExprFormatter.Format(this);
}
