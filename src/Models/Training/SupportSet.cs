using Engine.Models.Data;

namespace Engine.Models.Training;

/// <summary>
/// SGG's support set (METHODS §2b, the alternative reference direction): a fixed set of training blocks, evenly spread over
/// the train split, in whole batches. Its mean gradient, recomputed every k steps, is the direction d the guidance blends
/// toward. Fixed, so the same set is used at every recomputation, and a resumed run rebuilds it unchanged.
/// </summary>
internal sealed class SupportSet
{
    private readonly ReadOnlyMemory<int> _tokens;
    private readonly int[] _starts;
    private readonly int _blockSize;

    /// <param name="blocks">At least this many blocks (rounded up to whole batches of <paramref name="batchSize"/>).</param>
    public SupportSet(ReadOnlyMemory<int> trainTokens, int blocks, int blockSize, int batchSize)
    {
        BlockSampler.RequireLength(trainTokens.Length, DataSplit.Train, blockSize);
        int count = (blocks + batchSize - 1) / batchSize * batchSize;
        int last = trainTokens.Length - blockSize - 1;   // a block needs its next token as the last target
        _tokens = trainTokens;
        _blockSize = blockSize;
        _starts = Enumerable.Range(0, count).Select(i => count == 1 ? 0 : (int)((long)i * last / (count - 1))).ToArray();
        BatchSize = batchSize;
    }

    public int BatchSize { get; }

    /// <summary>How many batches the set fills.</summary>
    public int Batches => _starts.Length / BatchSize;

    /// <summary>Batch <paramref name="batch"/> into caller buffers of BatchSize × BlockSize ids each (row-major).</summary>
    public void Fill(int batch, Span<int> inputs, Span<int> targets)
    {
        for (int b = 0; b < BatchSize; b++) BlockSampler.CopyBlock(_tokens.Span, _starts[batch * BatchSize + b], _blockSize, inputs, targets, b);
    }
}
