using Engine.Models.Config;
using Engine.Models.Data;
using Engine.Models.Text;
using Engine.Models.Training;
using Xunit;

namespace Engine.Tests.Models;

/// <summary>A run's token split: 90/10 of one text, or all of --data for training and all of --val-data for validation.</summary>
public sealed class TrainingDataTests
{
    private const string Train = "the quick brown fox jumps over the lazy dog. the dog sleeps. ";
    private const string Val = "QUIZ: who jumps? the fox!";

    [Theory]
    [InlineData("char")]
    [InlineData("bpe")]
    public void AValidationFileIsTheValSplitAndAllOfTheDataIsTrainedOn(string tokenizer)
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var config = new TrainConfig
        {
            Data = dir.File("train.txt", Train), ValData = dir.File("val.txt", Val), Tokenizer = tokenizer, BpeVocab = 260, BlockSize = 8,
        };
        var data = TrainingData.Load(config);
        Assert.Equal(data.Tokenizer.Encode(Train), data.Dataset.Train.ToArray());
        Assert.Equal(data.Tokenizer.Encode(Val), data.Dataset.Val.ToArray());
        Assert.Equal(config.ValData, data.ValSource);
        // The char vocabulary lists the validation text's symbols too ('Q', 'U', 'I', 'Z', ':', '?', '!'), so it encodes.
        Assert.Equal(Val, data.Tokenizer.Decode(data.Dataset.Val.ToArray()));
    }

    [Fact]
    public void BpeMergesAreLearntFromAllOfTheTrainingTextAndNothingElse()
    {
        // One merge. Over all of --data the most frequent pair is "xy" (50, all in its last 10%; Shakespeare's first
        // 900 characters have at most 26 of a pair); over its first 90% it would be "e "; had the merge seen the
        // validation text, it would be "qz" (80).
        using var dir = ModelTestFiles.CreateTempDirectory();
        string train = ModelTestFiles.Shakespeare[..900] + string.Concat(Enumerable.Repeat("xy", 50));
        string val = string.Concat(Enumerable.Repeat("qz", 80)) + string.Concat(Enumerable.Repeat("xy", 10));
        var config = new TrainConfig { Data = dir.File("t.txt", train), ValData = dir.File("v.txt", val), Tokenizer = "bpe", BpeVocab = 257, BlockSize = 8 };
        var data = TrainingData.Load(config);
        Assert.Equal(160 + 10, data.Dataset.Val.Length);
    }

    [Fact]
    public void WithoutAValidationFileTheLastTenthIsHeldOut()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        string text = string.Concat(Enumerable.Repeat(Train, 3));
        var data = TrainingData.Load(new TrainConfig { Data = dir.File("t.txt", text), BlockSize = 8 });
        var all = data.Tokenizer.Encode(text);
        Assert.Equal(all[..(all.Length * 9 / 10)], data.Dataset.Train.ToArray());
        Assert.Equal(all[(all.Length * 9 / 10)..], data.Dataset.Val.ToArray());
        Assert.StartsWith("the last 10% of ", data.ValSource);
    }

    [Fact]
    public void AValidationTextTheCheckpointsTokenizerCannotEncodeIsNamed()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var spec = CharTokenizer.Train(Train).ToSpec();
        var valPath = dir.File("val.txt", Val);
        var config = new TrainConfig { Data = dir.File("train.txt", Train), ValData = valPath, BlockSize = 8 };
        var e = Assert.Throws<DataException>(() => TrainingData.Load(config, spec));
        Assert.StartsWith($"--val-data {valPath}: it cannot be encoded with the run's tokenizer", e.Message);
    }
}
