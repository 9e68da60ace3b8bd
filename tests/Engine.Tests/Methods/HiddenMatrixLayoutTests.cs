using Engine.Kernels.Cpu;
using Engine.Models.Gpt;
using Engine.Models.Nn;
using Engine.Optim;
using Xunit;

namespace Engine.Tests.Methods;

public class HiddenMatrixLayoutTests
{
    private static readonly CpuDevice Cpu = new();

    [Fact]
    public void HiddenMatricesFormOneRangeInsideTheDecaySegments()
    {
        using var store = new ParameterStore(Cpu);
        var bias = store.Register("bias", [5]);
        var qkv = store.Register("qkv", [6, 4], kind: ParameterKind.HiddenMatrix, matrixBlocks: 3);
        var emb = store.Register("emb", [3, 4]);
        var frozen = store.Register("frozen", [2, 3], decay: false, kind: ParameterKind.HiddenMatrix);
        var up = store.Register("up", [1, 3], kind: ParameterKind.HiddenMatrix);
        store.Allocate();
        Assert.Equal([emb, qkv, up, frozen, bias], store.Parameters.OrderBy(p => p.Offset));
        Assert.Equal((12L, 45L, 39L), (store.HiddenStart, store.HiddenEnd, store.DecayedCount));
        Assert.Equal(
            [new HiddenMatrix("qkv[0]", 12, 2, 4), new("qkv[1]", 20, 2, 4), new("qkv[2]", 28, 2, 4), new("up", 36, 1, 3), new("frozen", 39, 2, 3)],
            store.HiddenMatrices);
    }

    [Fact]
    public void BadHiddenMatrixRegistrationsNameTheParameter()
    {
        using var store = new ParameterStore(Cpu);
        Assert.Contains("'v'", Assert.Throws<ArgumentException>(() => store.Register("v", [4], kind: ParameterKind.HiddenMatrix)).Message);
        Assert.Contains("3 equal row blocks", Assert.ThrowsAny<ArgumentException>(() =>
            store.Register("w", [4, 2], kind: ParameterKind.HiddenMatrix, matrixBlocks: 3)).Message);
        Assert.Contains("only a hidden matrix", Assert.ThrowsAny<ArgumentException>(() => store.Register("b", [4, 2], matrixBlocks: 2)).Message);
    }

    /// <summary>The GPT's attention q, k, v, o and MLP up/down are the hidden matrices; embeddings, biases and gains are not.</summary>
    [Fact]
    public void TheGptDeclaresItsProjectionsAsHiddenMatrices()
    {
        using var model = new GptModel(new GptConfig(VocabSize: 11, BlockSize: 8, Layers: 2, Heads: 2, Width: 8), Cpu, InitScheme.Normal, 1UL);
        var names = model.Parameters.Store.HiddenMatrices.Select(m => m.Name).ToHashSet();
        foreach (var layer in new[] { 0, 1 })
        {
            foreach (var block in new[] { 0, 1, 2 }) Assert.Contains($"h.{layer}.attn.c_attn.weight[{block}]", names);
            Assert.Contains($"h.{layer}.attn.c_proj.weight", names);
            Assert.Contains($"h.{layer}.mlp.c_fc.weight", names);
            Assert.Contains($"h.{layer}.mlp.c_proj.weight", names);
        }
        Assert.Equal(12, names.Count);
        Assert.All(model.Parameters.Store.HiddenMatrices.Where(m => m.Name.Contains("c_attn")), m => Assert.Equal((8, 8), (m.Rows, m.Cols)));
    }
}
