using Engine.Autograd;
using Engine.Kernels.Cpu;
using Engine.Models.Config;
using Engine.Models.Gpt;
using Engine.Models.Nn;
using Engine.Tensors;
using Engine.Tests.Support;
using Xunit;

namespace Engine.Tests.Training;

public class GptModelTests
{
    private static readonly CpuDevice Cpu = new();

    [Fact]
    public void PresetTHasNanoGptsParameterCount()
    {
        // nanoGPT (bias=False, tied head), n_layer=4, n_head=4, n_embd=128, block_size=64, vocab 65:
        // wte 65·128 + wpe 64·128 + 4·(12·128² + 2·128) + 128 = 804,096 (nanoGPT prints 795,904 = this minus wpe).
        var config = GptConfig.From(TrainConfig.Tiny, vocabSize: 65);
        Assert.Equal(804_096, config.ParameterCount);
        using var model = new GptModel(config, Cpu, InitScheme.Normal, seed: 1);
        Assert.Equal(804_096, model.Parameters.Count);
        Assert.DoesNotContain(model.Parameters.Weights, w => w.Name.Contains("lm_head"));
    }

    [Fact]
    public void ParameterCountFormulaMatchesTheModelWithBiases()
    {
        var config = new GptConfig(VocabSize: 13, BlockSize: 7, Layers: 3, Heads: 2, Width: 10, Bias: true);
        using var model = new GptModel(config, Cpu, InitScheme.Normal, seed: 1);
        Assert.Equal(config.ParameterCount, model.Parameters.Count);
    }

    [Fact]
    public void MatricesAndEmbeddingsDecayGainsDoNot()
    {
        using var model = new GptModel(new GptConfig(11, 8, 2, 2, 16), Cpu, InitScheme.Normal, seed: 1);
        foreach (var w in model.Parameters.Weights)
            Assert.Equal(w.Parameter.Shape.Count >= 2, w.Parameter.Decay);
    }

    [Fact]
    public void AttentionIsCausal()
    {
        using var model = new GptModel(new GptConfig(VocabSize: 17, BlockSize: 12, Layers: 2, Heads: 2, Width: 16), Cpu,
                                       InitScheme.XavierNormal, seed: 3);
        int[] tokens = [1, 5, 9, 2, 16, 0, 7, 7, 3, 11];
        for (int changed = 0; changed < tokens.Length; changed++)
        {
            var altered = (int[])tokens.Clone();
            altered[changed] = (altered[changed] + 6) % 17;
            var before = Logits(model, tokens);
            var after = Logits(model, altered);
            for (int pos = 0; pos < tokens.Length; pos++)
            {
                double diff = Enumerable.Range(0, 17).Max(v => Math.Abs(before[pos * 17 + v] - after[pos * 17 + v]));
                if (pos < changed) Assert.True(diff == 0, $"position {pos} changed by {diff} when token {changed} changed");
                else Assert.True(diff > 1e-4, $"position {pos} did not react to token {changed} (diff {diff})");
            }
        }
    }

    [Fact]
    public void TiedHeadGradientIsTheSumOfLookupAndOutputUses()
    {
        // Token 1 is the input only at position 0 of both sequences, so its lookup gradient equals wpe's gradient at
        // position 0 exactly; it is also a target, so the head adds its part. Central differences see the whole
        // function: they match wte's gradient only if both parts land in the one tied weight. Rows 0 (a target only)
        // and 7 (absent) get the head part alone.
        using var model = new GptModel(new GptConfig(VocabSize: 9, BlockSize: 6, Layers: 1, Heads: 2, Width: 8), Cpu,
                                       InitScheme.XavierNormal, seed: 5);
        int[] inputs = [1, 2, 3, 4, 2, 3, 1, 3, 4, 2, 2, 4];
        int[] targets = [2, 3, 1, 2, 4, 0, 3, 1, 2, 4, 1, 0];
        model.Parameters.ZeroGrads();
        using (var scope = new TensorScope())
        using (var tape = new GradientTape())
            tape.Backward(Loss(model, inputs, targets));
        var wte = model.TokenEmbedding.Weight.Parameter;
        var analytic = wte.ReadGrad();
        var lookupPart = model.PositionEmbedding.Weight.Parameter.ReadGrad().AsSpan(0, 8).ToArray();
        var values = wte.Read();
        const int width = 8;
        const double absoluteTolerance = 2e-3;
        Assert.True(lookupPart.Max(Math.Abs) > 10 * absoluteTolerance,
            $"the lookup part of wte[1] ({lookupPart.Max(Math.Abs):E2}) is too small for this test to see it missing");
        foreach (int row in new[] { 1, 3, 0, 7 })
        {
            for (int col = 0; col < width; col++)
            {
                int i = row * width + col;
                double numeric = CentralDifference(model, wte, values, i, inputs, targets);
                Assert.True(Math.Abs(numeric - analytic[i]) <= absoluteTolerance + 0.03 * Math.Abs(numeric),
                    $"wte[{row}, {col}]: analytic {analytic[i]:E4}, central difference {numeric:E4}");
            }
        }
    }

    private static double CentralDifference(GptModel model, Engine.Optim.Parameter p, float[] values, int i, int[] inputs, int[] targets)
    {
        const float h = 1e-2f;
        float original = values[i];
        values[i] = original + h; p.Write(values); double plus = LossValue(model, inputs, targets);
        values[i] = original - h; p.Write(values); double minus = LossValue(model, inputs, targets);
        values[i] = original; p.Write(values);
        return (plus - minus) / (2 * h);
    }

    private static Variable Loss(GptModel model, int[] inputs, int[] targets) =>
        model.Loss(Tensor.FromArray(Cpu, inputs, 2, 6), Tensor.FromArray(Cpu, targets, 2, 6));

    private static double LossValue(GptModel model, int[] inputs, int[] targets)
    {
        using var scope = new TensorScope();
        using var noGrad = new NoGradScope();
        return Loss(model, inputs, targets).Value.Item();
    }

    private static float[] Logits(GptModel model, int[] tokens)
    {
        using var scope = new TensorScope();
        using var noGrad = new NoGradScope();
        return model.Forward(Tensor.FromArray(Cpu, tokens, 1, tokens.Length)).Value.ToArray();
    }

    [Theory]
    [MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void ForwardLossAgreesWithCpu(string backend)
    {
        var config = new GptConfig(VocabSize: 23, BlockSize: 8, Layers: 2, Heads: 2, Width: 16);
        var device = Backends.Get(backend);
        var inputs = Enumerable.Range(0, 3 * 8).Select(i => (i * 7 + 3) % 23).ToArray();
        var targets = Enumerable.Range(0, 3 * 8).Select(i => (i * 5 + 1) % 23).ToArray();
        double LossOn(Engine.Kernels.Devices.ComputeDevice d)
        {
            using var model = new GptModel(config, d, InitScheme.Normal, seed: 42);
            using var scope = new TensorScope();
            using var noGrad = new NoGradScope();
            return model.Loss(Tensor.FromArray(d, inputs, 3, 8), Tensor.FromArray(d, targets, 3, 8)).Value.Item();
        }
        double reference = LossOn(Cpu), actual = LossOn(device);
        Assert.True(Math.Abs(actual - reference) <= 1e-4 * Math.Abs(reference),
            $"{backend}: loss {actual:R}, cpu {reference:R} (relative difference {Math.Abs(actual - reference) / reference:E2})");
    }
}
