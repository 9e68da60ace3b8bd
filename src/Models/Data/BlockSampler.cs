namespace Engine.Models.Data;

/// <summary>
/// Draws batches of random (input, target) blocks from one split, like nanoGPT's get_batch: each block starts at a
/// uniform offset in [0, length - blockSize) and the target is the input shifted by one token. The generator
/// state is exposed so a resumed run draws the same batches an uninterrupted one would.
/// </summary>
public sealed class BlockSampler
{
    private readonly ReadOnlyMemory<int> _tokens;
    private readonly Xoshiro256StarStar _rng;

    /// <exception cref="DataException"><paramref name="tokens"/> is shorter than <paramref name="blockSize"/> + 1.</exception>
    public BlockSampler(ReadOnlyMemory<int> tokens, DataSplit split, int blockSize, int batchSize, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        RequireLength(tokens.Length, split, blockSize);
        _tokens = tokens;
        _rng = new Xoshiro256StarStar(seed);
        Split = split;
        BlockSize = blockSize;
        BatchSize = batchSize;
    }

    /// <summary>The split this sampler draws from.</summary>
    public DataSplit Split { get; }

    /// <summary>Tokens per block.</summary>
    public int BlockSize { get; }

    /// <summary>Blocks per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Generator state; save it with a checkpoint and assign it on resume.</summary>
    public RngState State
    {
        get => _rng.State;
        set => _rng.State = value;
    }

    /// <summary>Draws the next batch into new arrays.</summary>
    public TokenBatch Next()
    {
        var inputs = new int[BatchSize * BlockSize];
        var targets = new int[BatchSize * BlockSize];
        Next(inputs, targets);
        return new TokenBatch(BatchSize, BlockSize, inputs, targets);
    }

    /// <summary>Draws the next batch into caller buffers of BatchSize × BlockSize ids each (row-major).</summary>
    public void Next(Span<int> inputs, Span<int> targets)
    {
        int size = BatchSize * BlockSize;
        if (inputs.Length != size || targets.Length != size)
            throw new ArgumentException(
                $"Batch buffers must hold BatchSize × BlockSize = {BatchSize} × {BlockSize} = {size} ids; got {inputs.Length} inputs and {targets.Length} targets.");
        var tokens = _tokens.Span;
        ulong starts = (ulong)(tokens.Length - BlockSize);
        for (int b = 0; b < BatchSize; b++) CopyBlock(tokens, (int)_rng.NextBelow(starts), BlockSize, inputs, targets, b);
    }

    /// <summary>Row <paramref name="row"/> of a batch: the block at <paramref name="start"/> and its targets, one token on.</summary>
    internal static void CopyBlock(ReadOnlySpan<int> tokens, int start, int blockSize, Span<int> inputs, Span<int> targets, int row)
    {
        tokens.Slice(start, blockSize).CopyTo(inputs.Slice(row * blockSize, blockSize));
        tokens.Slice(start + 1, blockSize).CopyTo(targets.Slice(row * blockSize, blockSize));
    }

    internal static void RequireLength(int length, DataSplit split, int blockSize)
    {
        if (length < (long)blockSize + 1)
            throw new DataException(
                $"The {split.ToString().ToLowerInvariant()} split has {length} tokens, fewer than blockSize + 1 = {(long)blockSize + 1}; " +
                "use a longer text or a smaller block size.");
    }
}
