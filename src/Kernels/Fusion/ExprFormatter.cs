using System.Globalization;
using System.Text;

namespace Engine.Kernels.Fusion;

/// <summary>Prints an expression as infix text with the fewest parentheses that keep its meaning.</summary>
internal static class ExprFormatter
{
    public static string Format(Expr e)
    {
        var sb = new StringBuilder();
        Write(sb, e, 0);
        return sb.ToString();
    }

    private static int Precedence(FxOp op) => op switch
    {
        FxOp.Add or FxOp.Sub => 1,
        FxOp.Mul or FxOp.Div => 2,
        FxOp.Neg => 3,
        _ => 4,
    };

    private static void Write(StringBuilder sb, Expr e, int outer)
    {
        int p = Precedence(e.Op);
        bool paren = p < outer;
        if (paren) sb.Append('(');
        switch (e.Op)
        {
            case FxOp.Input or FxOp.Scalar:
                sb.Append(e.Name);
                break;
            case FxOp.Constant:
                sb.Append(e.Value.ToString("R", CultureInfo.InvariantCulture));
                break;
            case FxOp.Neg:
                sb.Append('-');
                Write(sb, e.Args[0], p + 1);
                break;
            case FxOp.Add or FxOp.Sub or FxOp.Mul or FxOp.Div:
                Write(sb, e.Args[0], p);
                sb.Append(e.Op switch { FxOp.Add => " + ", FxOp.Sub => " - ", FxOp.Mul => " * ", _ => " / " });
                Write(sb, e.Args[1], p + 1);
                break;
            default:
                sb.Append(FxOpInfo.Name(e.Op)).Append('(');
                for (int i = 0; i < e.Args.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    Write(sb, e.Args[i], 0);
                }
                sb.Append(')');
                break;
        }
        if (paren) sb.Append(')');
    }
}
