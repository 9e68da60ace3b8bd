namespace Engine.Optim;

/// <summary>
/// How the structured optimizers (CGFM, SGG, SPEC-GF, Muon) treat a parameter, declared when it is registered
/// (METHODS §0): the 2-D hidden matrices — attention q/k/v/o and MLP up/down projections — get the per-matrix
/// work; embeddings, the LM head, biases and norm gains are the "other" parameters, which pass through.
/// </summary>
public enum ParameterKind
{
    /// <summary>Embeddings, head, biases, gains: the plain baseline update.</summary>
    Other,

    /// <summary>A 2-D hidden matrix [out, in], possibly several stacked row blocks (e.g. q, k, v in one [3C, C] weight).</summary>
    HiddenMatrix,
}

/// <summary>
/// One matrix the structured transforms work on: a dense [<paramref name="Rows"/>, <paramref name="Cols"/>] block of the
/// store's flat buffers starting at <paramref name="Offset"/> (a whole hidden matrix, or one of its row blocks).
/// </summary>
public readonly record struct HiddenMatrix(string Name, long Offset, int Rows, int Cols)
{
    public long Count => (long)Rows * Cols;
}
