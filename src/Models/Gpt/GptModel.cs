using Engine.Autograd;
using Engine.Kernels.Devices;
using Engine.Models.Nn;
using Engine.Tensors;

namespace Engine.Models.Gpt;

/// <summary>
/// A GPT-2 style language model as nanoGPT's model.py: token + position embeddings, pre-LayerNorm blocks, a final
/// LayerNorm and an LM head tied to the token embedding (logits = x·wteᵀ, so wte's gradient is the sum of its use as
/// a lookup table and as the output matrix).
/// <para>
/// Parameter names (checkpoints store each as "model.&lt;name&gt;"): wte.weight [V, C], wpe.weight [T, C], then for
/// each block i: h.i.ln_1.weight, h.i.attn.c_attn.weight [3C, C], h.i.attn.c_proj.weight [C, C], h.i.ln_2.weight,
/// h.i.mlp.c_fc.weight [4C, C], h.i.mlp.c_proj.weight [C, 4C] (and ".bias" for each when the config has biases),
/// and ln_f.weight. There is no lm_head.weight: it is wte.weight.
/// </para>
/// Build it outside any <see cref="TensorScope"/>; it owns its parameters until <see cref="Dispose"/>. Run forward
/// passes inside a TensorScope (a training step, an evaluation): their temporaries live until the scope ends.
/// </summary>
public sealed class GptModel : IDisposable
{
    private readonly Tensor _positions;

    public GptModel(GptConfig config, ComputeDevice device, InitScheme init, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(device);
        var errors = config.Validate();
        if (errors.Count > 0) throw new ArgumentException("invalid model config: " + string.Join("; ", errors), nameof(config));
        Config = config;
        Parameters = new ModelParameters(device);
        try
        {
            TokenEmbedding = new Embedding(Parameters, "wte", config.VocabSize, config.Width);
            PositionEmbedding = new Embedding(Parameters, "wpe", config.BlockSize, config.Width);
            Blocks = Enumerable.Range(0, config.Layers)
                .Select(i => new Block(Parameters, $"h.{i}", config.Width, config.Heads, config.BlockSize, config.Bias))
                .ToArray();
            FinalNorm = new LayerNorm(Parameters, "ln_f", config.Width, config.Bias);
            _positions = Parameters.Constant("positions", d => Tensor.FromArray(d, Enumerable.Range(0, config.BlockSize).ToArray(),
                config.BlockSize)).Value;
            Parameters.Allocate(new ParameterInitializer(init, config.Layers, seed));
        }
        catch
        {
            Parameters.Dispose();
            throw;
        }
    }

    public GptConfig Config { get; }
    public ModelParameters Parameters { get; }
    public ComputeDevice Device => Parameters.Device;
    public Embedding TokenEmbedding { get; }
    public Embedding PositionEmbedding { get; }
    public IReadOnlyList<Block> Blocks { get; }
    public LayerNorm FinalNorm { get; }

    /// <summary>Token ids [B, T] (Int32, T ≤ block size) → logits [B·T, V] (row b·T + t is position t of sequence b).</summary>
    public Variable Forward(Tensor tokens) => Head(Hidden(tokens));

    /// <summary>Logits of the last position of each sequence only: [B, V] (what sampling needs).</summary>
    public Variable ForwardLast(Tensor tokens)
    {
        var hidden = Hidden(tokens);
        int b = hidden.Shape[0], t = hidden.Shape[1];
        return Head(hidden.Slice(1, t - 1, 1).Reshape(b, 1, Config.Width));
    }

    /// <summary>Mean cross-entropy of the next-token predictions: tokens and targets both [B, T] Int32.</summary>
    public Variable Loss(Tensor tokens, Tensor targets)
    {
        if (!targets.Shape.SequenceEqual(tokens.Shape))
            throw new ArgumentException(
                $"targets of shape [{string.Join(", ", targets.Shape.ToArray())}] must match tokens [{string.Join(", ", tokens.Shape.ToArray())}]");
        // The backward rule reads the flattened targets, so the view lives until the step's TensorScope ends.
        return Variable.CrossEntropy(Forward(tokens), targets.Reshape(-1));
    }

    /// <summary>The final hidden states [B, T, C] after ln_f.</summary>
    private Variable Hidden(Tensor tokens)
    {
        if (tokens.Rank != 2 || tokens.DType != DType.Int32)
            throw new ArgumentException($"tokens must be an Int32 [batch, T] tensor; got {tokens.DType} [{string.Join(", ", tokens.Shape.ToArray())}]");
        int t = tokens.Shape[1];
        if (t < 1 || t > Config.BlockSize)
            throw new ArgumentException($"sequence length {t} must be in [1, block size {Config.BlockSize}]", nameof(tokens));
        var positions = t == Config.BlockSize ? _positions : _positions.Slice(0, 0, t);
        var x = TokenEmbedding.Forward(tokens) + PositionEmbedding.Forward(positions);
        foreach (var block in Blocks) x = block.Forward(x);
        return FinalNorm.Forward(x);
    }

    /// <summary>[B, T, C] → [B·T, V] through the tied head.</summary>
    private Variable Head(Variable hidden) =>
        Variable.MatMul(hidden.Reshape(-1, Config.Width), TokenEmbedding.Weight.Variable, transposeB: true);

    public void Dispose() => Parameters.Dispose();
}
