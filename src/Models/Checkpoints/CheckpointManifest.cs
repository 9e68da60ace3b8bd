using System.Text.Json.Nodes;
using Engine.Models.Data;
using Engine.Models.Text;

namespace Engine.Models.Checkpoints;

/// <summary>
/// Everything in a checkpoint besides its tensors, stored in the JSON sidecar: model configuration, tokenizer,
/// training step, generator states, optimizer hyperparameters and free-form extras. The JSON objects are owned by
/// the caller's code (the store copies them on save and hands out fresh ones on load).
/// </summary>
public sealed record CheckpointManifest
{
    /// <summary>Model configuration (layers, heads, widths, ...), as the model code serializes it.</summary>
    public required JsonObject Config { get; init; }

    /// <summary>The tokenizer the model was trained with.</summary>
    public required TokenizerSpec Tokenizer { get; init; }

    /// <summary>Optimizer steps taken so far.</summary>
    public required long Step { get; init; }

    /// <summary>Generator states by role (e.g. "train-sampler", "val-sampler", "dropout").</summary>
    public IReadOnlyDictionary<string, RngState> RngStates { get; init; } = new Dictionary<string, RngState>();

    /// <summary>Optimizer kind and hyperparameters (learning rate, betas, weight decay, schedule, ...).</summary>
    public JsonObject Optimizer { get; init; } = [];

    /// <summary>Anything else a run wants to keep (best validation loss, wall time, command line, ...).</summary>
    public JsonObject Extra { get; init; } = [];
}
