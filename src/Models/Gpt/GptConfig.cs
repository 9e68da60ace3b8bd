using System.Text.Json.Nodes;
using Engine.Models.Config;

namespace Engine.Models.Gpt;

/// <summary>
/// The shape of a GPT model. <see cref="Bias"/> false is nanoGPT's train.py default (no biases in Linear and
/// LayerNorm layers), and what the presets use.
/// </summary>
public sealed record GptConfig(int VocabSize, int BlockSize, int Layers, int Heads, int Width, bool Bias = false)
{
    /// <summary>The model a training configuration describes, for a tokenizer of <paramref name="vocabSize"/> ids.</summary>
    public static GptConfig From(TrainConfig config, int vocabSize) =>
        new(vocabSize, config.BlockSize, config.Layers, config.Heads, config.Width);

    /// <summary>
    /// Trainable elements of the tied model, position embeddings included:
    /// V·C + T·C + L·(12·C² + (bias ? 13 : 2)·C) + (bias ? 2 : 1)·C; for preset T (V = 65) 804,096.
    /// nanoGPT's reported "number of parameters" excludes the position embeddings (subtract T·C).
    /// </summary>
    public long ParameterCount
    {
        get
        {
            long c = Width;
            long perBlock = 12 * c * c + (Bias ? 13 : 2) * c;
            return (long)VocabSize * c + (long)BlockSize * c + Layers * perBlock + (Bias ? 2 : 1) * c;
        }
    }

    /// <summary>Every problem with this shape, each naming the field at fault; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (VocabSize < 1) errors.Add($"vocab_size must be >= 1 (got {VocabSize})");
        if (BlockSize < 1) errors.Add($"block_size must be >= 1 (got {BlockSize})");
        if (Layers < 1) errors.Add($"layers must be >= 1 (got {Layers})");
        if (Heads < 1) errors.Add($"heads must be >= 1 (got {Heads})");
        if (Width < 1) errors.Add($"width must be >= 1 (got {Width})");
        if (Heads >= 1 && Width % Heads != 0) errors.Add($"width {Width} must be divisible by heads {Heads}");
        return errors;
    }

    /// <summary>The JSON object a checkpoint sidecar stores under config.model.</summary>
    public JsonObject ToJson() => new()
    {
        ["vocab_size"] = VocabSize,
        ["block_size"] = BlockSize,
        ["layers"] = Layers,
        ["heads"] = Heads,
        ["width"] = Width,
        ["bias"] = Bias,
    };

    /// <exception cref="FormatException">A key is missing or not of the right type.</exception>
    public static GptConfig FromJson(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        int Int(string key) => json[key] is JsonValue v && v.TryGetValue(out int i)
            ? i : throw new FormatException($"model config lacks an integer \"{key}\" (got {json[key]?.ToJsonString() ?? "nothing"})");
        bool bias = json["bias"] is JsonValue b && b.TryGetValue(out bool flag)
            ? flag : throw new FormatException($"model config lacks a boolean \"bias\" (got {json["bias"]?.ToJsonString() ?? "nothing"})");
        return new GptConfig(Int("vocab_size"), Int("block_size"), Int("layers"), Int("heads"), Int("width"), bias);
    }
}
