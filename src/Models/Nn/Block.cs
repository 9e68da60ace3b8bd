using Engine.Autograd;

namespace Engine.Models.Nn;

/// <summary>One pre-LayerNorm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)).</summary>
public sealed class Block
{
    public Block(ModelParameters parameters, string name, int width, int heads, int blockSize, bool bias)
    {
        Ln1 = new LayerNorm(parameters, name + ".ln_1", width, bias);
        Attention = new CausalSelfAttention(parameters, name + ".attn", width, heads, blockSize, bias);
        Ln2 = new LayerNorm(parameters, name + ".ln_2", width, bias);
        Mlp = new Mlp(parameters, name + ".mlp", width, bias);
    }

    public LayerNorm Ln1 { get; }
    public CausalSelfAttention Attention { get; }
    public LayerNorm Ln2 { get; }
    public Mlp Mlp { get; }

    /// <summary>x [B, T, width] → [B, T, width].</summary>
    public Variable Forward(Variable x)
    {
        x += Attention.Forward(Ln1.Forward(x));
        return x + Mlp.Forward(Ln2.Forward(x));
    }
}
