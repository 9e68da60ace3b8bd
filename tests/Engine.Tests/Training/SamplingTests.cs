using Engine.Autograd;
using Engine.Kernels.Cpu;
using Engine.Models.Data;
using Engine.Models.Gpt;
using Engine.Models.Nn;
using Engine.Models.Sampling;
using Engine.Models.Text;
using Engine.Models.Training;
using Engine.Tensors;
using Engine.Tests.Models;
using Xunit;

namespace Engine.Tests.Training;

public class SamplingTests
{
    private static readonly CpuDevice Cpu = new();

    [Fact]
    public void GenerationIsDeterministicPerSeed()
    {
        var tokenizer = CharTokenizer.Train("abcdefgh \n");
        using var model = new GptModel(new GptConfig(tokenizer.VocabSize, 8, 1, 2, 16), Cpu, InitScheme.XavierNormal, seed: 9);
        string Sample(ulong seed) => TextGenerator.Generate(model, tokenizer, "abc", new SampleOptions(20, 1.0f, 0, seed));
        var first = Sample(1);
        Assert.StartsWith("abc", first);
        Assert.Equal(23, first.Length);   // longer than the block: the context window slides
        Assert.Equal(first, Sample(1));
        Assert.NotEqual(first, Sample(2));
        var streamed = new List<string>();
        TextGenerator.Generate(model, tokenizer, "abc", new SampleOptions(20, 1.0f, 0, 1), streamed.Add);
        Assert.Equal(first[3..], string.Concat(streamed));
    }

    [Fact]
    public void TopOneAndZeroTemperatureAreGreedy()
    {
        var logits = new float[] { 0.5f, 2.5f, -1f, 2.4f };
        var rng = new Xoshiro256StarStar(3);
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(1, TextGenerator.Pick(logits, new SampleOptions(TopK: 1, Temperature: 5f), rng));
            Assert.Equal(1, TextGenerator.Pick(logits, new SampleOptions(Temperature: 0f), rng));
        }
        var picked = Enumerable.Range(0, 200).Select(_ => TextGenerator.Pick(logits, new SampleOptions(TopK: 2, Temperature: 1f), rng)).ToHashSet();
        Assert.Equal([1, 3], picked.Order());
    }

    [Fact]
    public void EvaluateScoresEveryTokenOnce()
    {
        using var model = new GptModel(new GptConfig(VocabSize: 7, BlockSize: 4, Layers: 1, Heads: 1, Width: 8), Cpu, InitScheme.Normal, seed: 2);
        int[] tokens = [1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4];   // 10 predictions: windows of 4, 4 and a tail of 2
        var result = Evaluator.Evaluate(model, tokens, batchSize: 1);
        Assert.Equal(10, result.Tokens);
        double expected = (4 * WindowLoss(model, tokens, 0, 4) + 4 * WindowLoss(model, tokens, 4, 4) + 2 * WindowLoss(model, tokens, 8, 2)) / 10;
        Assert.Equal(expected, result.Loss, 1e-5);
        Assert.Equal(result.Loss, Evaluator.Evaluate(model, tokens, batchSize: 3).Loss, 1e-5);
        Assert.Equal(result.Loss, Evaluator.Evaluate(model, tokens, batchSize: 2, context: 4).Loss, 1e-5);
    }

    [Fact]
    public void EvaluationAtAShorterContextCutsWindowsOfThatLength()
    {
        using var model = new GptModel(new GptConfig(VocabSize: 7, BlockSize: 4, Layers: 1, Heads: 1, Width: 8), Cpu, InitScheme.Normal, seed: 2);
        int[] tokens = [1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4];   // 10 predictions: windows of 3, 3, 3 and a tail of 1
        var result = Evaluator.Evaluate(model, tokens, batchSize: 2, context: 3);
        Assert.Equal(10, result.Tokens);
        double expected = (3 * WindowLoss(model, tokens, 0, 3) + 3 * WindowLoss(model, tokens, 3, 3) + 3 * WindowLoss(model, tokens, 6, 3)
            + WindowLoss(model, tokens, 9, 1)) / 10;
        Assert.Equal(expected, result.Loss, 1e-5);
        Assert.NotEqual(Evaluator.Evaluate(model, tokens).Loss, result.Loss, 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => Evaluator.Evaluate(model, tokens, context: 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Evaluator.Evaluate(model, tokens, context: 0));
    }

    [Fact]
    public void TrainedModelLoadsFromTheLatestCheckpoint()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        using var trainer = new Trainer(TinyRuns.Config(dir.Path, maxIters: 2), device: Cpu);
        trainer.Run();
        using var trained = TrainedModel.Load(dir.Path, Cpu);
        Assert.Equal(trainer.Model.Parameters.Store.ExportValues(), trained.Model.Parameters.Store.ExportValues());
        Assert.Equal(trainer.Data.Tokenizer.ToSpec(), trained.Tokenizer.ToSpec());
        var data = dir.File("held-out.txt");
        File.WriteAllText(data, GeneratedCorpus.Create(3000, seed: 7).Text);
        var result = Evaluator.Evaluate(trained, data, EvalSplit.All);
        Assert.True(result.Tokens > 2900 && double.IsFinite(result.Loss) && result.Loss > 0);
    }

    private static double WindowLoss(GptModel model, int[] tokens, int start, int length)
    {
        using var scope = new TensorScope();
        using var noGrad = new NoGradScope();
        var x = Tensor.FromArray(Cpu, tokens.AsSpan(start, length), 1, length);
        var y = Tensor.FromArray(Cpu, tokens.AsSpan(start + 1, length), 1, length);
        return model.Loss(x, y).Value.Item();
    }
}
