namespace Engine.Models.Data;

/// <summary>
/// Token ids of a corpus split as nanoGPT does: the first 90% (rounded down) for training, the rest for validation;
/// or a training text and a validation text of their own (<see cref="FromSplits"/>).
/// </summary>
public sealed class TokenDataset
{
    private TokenDataset(ReadOnlyMemory<int> train, ReadOnlyMemory<int> val)
    {
        Train = train;
        Val = val;
    }

    /// <summary>Training tokens: the first 90% of the corpus, or all of the training text.</summary>
    public ReadOnlyMemory<int> Train { get; }

    /// <summary>Validation tokens: the last 10% of the corpus, or all of the validation text.</summary>
    public ReadOnlyMemory<int> Val { get; }

    /// <summary>The tokens of <paramref name="split"/>.</summary>
    public ReadOnlyMemory<int> this[DataSplit split] => split == DataSplit.Train ? Train : Val;

    /// <summary>Splits <paramref name="tokens"/> (not copied) into train and validation parts.</summary>
    public static TokenDataset FromTokens(int[] tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        int trainCount = (int)(tokens.LongLength * 9 / 10);
        return new TokenDataset(tokens.AsMemory(0, trainCount), tokens.AsMemory(trainCount));
    }

    /// <summary>Training and validation tokens from separate texts (not copied).</summary>
    public static TokenDataset FromSplits(int[] train, int[] val)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(val);
        return new TokenDataset(train, val);
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
