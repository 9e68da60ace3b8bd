using Engine.Models.Data;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Models;

public class TokenDatasetTests
{
    [Fact]
    public void SplitsFirstNinetyPercentForTraining()
    {
        var lengths = Gen.Choose(0, 3000).ToArbitrary();

        Prop.ForAll(lengths, n =>
        {
            var tokens = Enumerable.Range(0, n).ToArray();
            var dataset = TokenDataset.FromTokens(tokens);
            int expectedTrain = (int)Math.Floor(n * 0.9 + 1e-9);
            Assert.Equal(expectedTrain, dataset.Train.Length);
            Assert.Equal(tokens[..expectedTrain], dataset[DataSplit.Train].ToArray());
            Assert.Equal(tokens[expectedTrain..], dataset[DataSplit.Val].ToArray());
        }).Check(TestSeeds.Quick());
    }

    [Fact]
    public void BatchesAreShiftedBlocksOfTheSplit()
    {
        var config = Gen.Choose(1, 40).SelectMany(block => Gen.Choose(1, 9).SelectMany(batch =>
            Gen.Choose(block + 1, block + 200).Select(length => (block, batch, length)))).ToArbitrary();

        Prop.ForAll(config, c =>
        {
            // Distinct tokens, so a block's position in the split is recoverable from its first token.
            var tokens = Enumerable.Range(1000, c.length).ToArray();
            var sampler = new BlockSampler(tokens, DataSplit.Train, c.block, c.batch, seed: 7);
            for (int draw = 0; draw < 5; draw++)
            {
                var batch = sampler.Next();
                Assert.Equal(c.batch * c.block, batch.Inputs.Length);
                for (int b = 0; b < c.batch; b++)
                {
                    int start = batch.Inputs[b * c.block] - 1000;
                    Assert.InRange(start, 0, c.length - c.block - 1);
                    for (int t = 0; t < c.block; t++)
                    {
                        Assert.Equal(tokens[start + t], batch.Inputs[b * c.block + t]);
                        Assert.Equal(tokens[start + t + 1], batch.Targets[b * c.block + t]);
                    }
                }
            }
        }).Check(TestSeeds.Quick());
    }

    [Fact]
    public void SamplerCoversEveryStartUniformly()
    {
        var tokens = Enumerable.Range(0, 13).ToArray();
        var sampler = new BlockSampler(tokens, DataSplit.Val, blockSize: 3, batchSize: 50, seed: 3);
        var counts = new int[10];
        for (int i = 0; i < 200; i++)
            foreach (int first in sampler.Next().Inputs.Where((_, k) => k % 3 == 0)) counts[first]++;

        // 10,000 draws over 10 starts: each expected 1,000, standard deviation 30.
        Assert.All(counts, count => Assert.InRange(count, 850, 1150));
    }

    [Fact]
    public void SameSeedSameBatchesAndRestoredStateContinuesExactly()
    {
        var tokens = Enumerable.Range(0, 5000).Select(i => i * 7 % 101).ToArray();
        var dataset = TokenDataset.FromTokens(tokens);
        var a = dataset.CreateSampler(DataSplit.Train, 16, 4, seed: 42);
        var b = dataset.CreateSampler(DataSplit.Train, 16, 4, seed: 42);
        for (int i = 0; i < 10; i++) Assert.Equal(a.Next(), b.Next(), BatchComparer.Instance);

        var saved = RngState.Parse(a.State.ToString());
        var expected = Enumerable.Range(0, 5).Select(_ => a.Next()).ToList();
        var resumed = dataset.CreateSampler(DataSplit.Train, 16, 4, seed: 999);
        resumed.State = saved;

        Assert.Equal(expected, Enumerable.Range(0, 5).Select(_ => resumed.Next()).ToList(), BatchComparer.Instance);
        Assert.NotEqual(expected[0], dataset.CreateSampler(DataSplit.Train, 16, 4, seed: 43).Next(), BatchComparer.Instance);
    }

    [Fact]
    public void TooShortSplitIsNamedWithCountsAndBlockSize()
    {
        var dataset = TokenDataset.FromTokens(Enumerable.Range(0, 100).ToArray());

        var error = Assert.Throws<DataException>(() => dataset.RequireBlockSize(10));
        Assert.StartsWith("The val split has 10 tokens, fewer than blockSize + 1 = 11", error.Message);

        dataset.RequireBlockSize(9);
        var train = Assert.Throws<DataException>(() => dataset.CreateSampler(DataSplit.Train, 90, 1, 0));
        Assert.StartsWith("The train split has 90 tokens, fewer than blockSize + 1 = 91", train.Message);
    }

    [Fact]
    public void BatchBuffersOfWrongSizeAreRejected()
    {
        var sampler = new BlockSampler(Enumerable.Range(0, 50).ToArray(), DataSplit.Train, 4, 2, 1);

        var error = Assert.Throws<ArgumentException>(() => sampler.Next(new int[8], new int[7]));

        Assert.Contains("2 × 4 = 8", error.Message);
    }

    private sealed class BatchComparer : IEqualityComparer<TokenBatch>
    {
        public static readonly BatchComparer Instance = new();

        public bool Equals(TokenBatch? x, TokenBatch? y) =>
            x!.BatchSize == y!.BatchSize && x.BlockSize == y.BlockSize && x.Inputs.SequenceEqual(y.Inputs) && x.Targets.SequenceEqual(y.Targets);

        public int GetHashCode(TokenBatch obj) => obj.Inputs.Length;
    }
}
