namespace Engine.Kernels.Devices;

/// <summary>
/// <see cref="ComputeDevice.SparseMatMul"/> over <see cref="Batch"/> pairs: a sparse <see cref="Rows"/>×<see cref="Inner"/>
/// matrix S in compressed rows times a dense <see cref="Inner"/>×<see cref="Cols"/> matrix X, each pair stored back to back.
/// S_b has room for <see cref="Capacity"/> entries: row starts [Batch, Rows + 1] (offsets into its own entries, the last
/// one its count), and column indices (Int32, in [0, Inner)) and values [Batch, Capacity], of which the first count are
/// used. A fixed room per matrix lets a batch of graphs, each with its own number of edges, be rewritten one at a time.
/// </summary>
public readonly record struct SparseMatMulSpec(int Batch, int Rows, int Inner, int Cols, int Capacity)
{
    public long StartElements => (long)Batch * (Rows + 1);
    public long EntryElements => (long)Batch * Capacity;
    public long InputElements => (long)Batch * Inner * Cols;
    public long OutputElements => (long)Batch * Rows * Cols;

    /// <summary>Throws for a shape no product has.</summary>
    public void Validate()
    {
        if (Batch < 0 || Rows < 0 || Inner < 1 || Cols < 0 || Capacity < 0)
            throw new ArgumentException(
                $"SparseMatMul: {Batch} products of [{Rows}, {Inner}] (room for {Capacity} entries) and [{Inner}, {Cols}]: " +
                "need batch, rows, cols, capacity >= 0 and inner >= 1");
    }
}
