namespace Engine.Kernels.Devices;

/// <summary>
/// Causal multi-head attention over [batch, length, heads·headSize] activations, heads side by side in each row (the
/// layout a QKV projection writes). q, k and v may be views with their own row and batch strides (the three blocks of
/// one [B, T, 3C] output); every other operand is dense [B, T, C], and the probabilities are dense [B, heads, T, T].
/// </summary>
/// <param name="Scale">Multiplies q·k before the softmax (1/√headSize).</param>
public readonly record struct AttentionSpec(int Batch, int Length, int Heads, int HeadSize, float Scale,
                                            AttentionOperand Q, AttentionOperand K, AttentionOperand V)
{
    /// <summary>Elements per row of the [B, T, C] operands: heads·headSize.</summary>
    public int Width => Heads * HeadSize;

    /// <summary>Elements of a dense [B, T, C] operand.</summary>
    public long ActivationElements => (long)Batch * Length * Width;

    /// <summary>Elements of the probabilities, [B, heads, T, T].</summary>
    public long ProbabilityElements => (long)Batch * Heads * Length * Length;

    /// <summary>The layout of a dense [B, T, C] operand.</summary>
    public AttentionOperand Dense => new((long)Length * Width, Width);
}

/// <summary>Where row t of batch b starts: b·BatchStride + t·RowStride elements from the operand's slice.</summary>
public readonly record struct AttentionOperand(long BatchStride, long RowStride)
{
    /// <summary>Elements an operand with this layout spans.</summary>
    public long Span(in AttentionSpec spec) =>
        spec.Batch == 0 || spec.Length == 0 ? 0 : (spec.Batch - 1) * BatchStride + (spec.Length - 1) * RowStride + spec.Width;
}
