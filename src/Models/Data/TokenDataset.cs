namespace Engine.Models.Data;

/// <summary>
/// Token ids of a corpus split as nanoGPT does: the first 90% (rounded down) for training, the rest for validation.
/// </summary>
public sealed class TokenDataset
{
    private TokenDataset(int[] tokens, int trainCount)
    {
        Train = tokens.AsMemory(0, trainCount);
        Val = tokens.AsMemory(trainCount);
    }

    /// <summary>Training tokens: the first 90% of the corpus.</summary>
    public ReadOnlyMemory<int> Train { get; }

    /// <summary>Validation tokens: the last 10% of the corpus.</summary>
    public ReadOnlyMemory<int> Val { get; }

    /// <summary>The tokens of <paramref name="split"/>.</summary>
    public ReadOnlyMemory<int> this[DataSplit split] => split == DataSplit.Train ? Train : Val;

    /// <summary>Splits <paramref name="tokens"/> (not copied) into train and validation parts.</summary>
    public static TokenDataset FromTokens(int[] tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return new TokenDataset(tokens, (int)(tokens.LongLength * 9 / 10));
    }

    /// <summary>Checks both splits hold at least one block plus its shifted target, before a run starts.</summary>
    /// <exception cref="DataException">A split is shorter than <paramref name="blockSize"/> + 1 tokens.</exception>
    public void RequireBlockSize(int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        BlockSampler.RequireLength(Train.Length, DataSplit.Train, blockSize);
        BlockSampler.RequireLength(Val.Length, DataSplit.Val, blockSize);
    }

    /// <summary>A sampler of random blocks of <paramref name="split"/>, seeded with <paramref name="seed"/>.</summary>
    public BlockSampler CreateSampler(DataSplit split, int blockSize, int batchSize, ulong seed) =>
        new(this[split], split, blockSize, batchSize, seed);
}
