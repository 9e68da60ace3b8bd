using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Models.Checkpoints;
using Engine.Models.Config;
using Engine.Models.Data;
using Engine.Models.Gpt;
using Engine.Models.Text;
using Engine.Optim;

namespace Engine.Models.Training;

/// <summary>
/// How a training run maps onto a checkpoint. Tensors: "model.&lt;parameter&gt;" for every parameter of
/// <see cref="GptModel"/> (names documented there) and "optim.&lt;state&gt;.&lt;parameter&gt;" for every optimizer
/// state slot ("m" and "v" for AdamW, "buffer" for SGD with momentum, "momentum" for Muon), each in its parameter's
/// shape, and "optim.extra.&lt;name&gt;" (1-D) for the structured links' other state (CGFM bases, SPEC-GF graph rows, SGG
/// scalars and source gradient). Sidecar:
/// config.model (<see cref="GptConfig"/>), config.train (the whole <see cref="TrainConfig"/>, snake_case keys),
/// the tokenizer spec, the step, the sampler generator states ("train-sampler", "val-sampler"), the optimizer
/// kind, chain and slot names, and the last losses under extra.
/// </summary>
public static class TrainingCheckpoint
{
    public const string TrainSamplerRng = "train-sampler";
    public const string ValSamplerRng = "val-sampler";
    public const string SourceSamplerRng = "sgg-source-sampler";

    /// <summary>snake_case keys, as the YAML config files.</summary>
    public static readonly JsonSerializerOptions ConfigJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Keys that fix the model's tensors and the token ids: a checkpoint's weights fit only a config equal in them.</summary>
    private static readonly string[] ModelKeys = ["layers", "heads", "width", "block_size", "tokenizer", "bpe_vocab"];

    /// <summary>Resuming also continues the optimizer's state, which only the same method can read.</summary>
    private static readonly string[] ResumeKeys = [.. ModelKeys, "optim"];

    /// <summary>The checkpoint name for a step: "step-0001000" (sorts by step).</summary>
    public static string NameOf(long step) => $"step-{step:D7}";

    /// <summary>
    /// The sidecar's config. Its text files are recorded as full paths, so <c>eval</c> or <c>--resume</c> from another
    /// directory finds them (checkpoints from before hold them as given: read from the current directory, as always).
    /// </summary>
    public static JsonObject ConfigToJson(GptConfig model, TrainConfig train) => new()
    {
        ["model"] = model.ToJson(),
        ["train"] = JsonSerializer.SerializeToNode(train with { Data = FullPath(train.Data), ValData = FullPath(train.ValData), Source = FullPath(train.Source) }, ConfigJson),
    };

    private static string? FullPath(string? path) => path is null ? null : Path.GetFullPath(path);

    /// <summary>The training configuration a checkpoint was written with.</summary>
    public static TrainConfig TrainConfigOf(Checkpoint checkpoint) =>
        checkpoint.Manifest.Config["train"] is JsonObject saved
            ? TrainConfigFrom(saved)
            : throw new CheckpointException($"checkpoint '{checkpoint.Name}' has no config.train in its sidecar");

    /// <summary>
    /// A sidecar's config.train. A key added after the checkpoint was written takes the value that reproduces how the run
    /// was trained, not today's default: before spectral_mode, --spectral-order 0 meant the exact filter and any other
    /// order Chebyshev; before spectral_reference, W_ref was 0.
    /// </summary>
    internal static TrainConfig TrainConfigFrom(JsonObject saved)
    {
        var config = saved.Deserialize<TrainConfig>(ConfigJson)!;
        if (!saved.ContainsKey("spectral_mode"))
            config = config.SpectralOrder == 0 ? config with { SpectralMode = "exact", SpectralOrder = 8 } : config with { SpectralMode = "chebyshev" };
        if (!saved.ContainsKey("spectral_reference")) config = config with { SpectralReference = "zero" };
        return config;
    }

    /// <summary>The model shape a checkpoint holds.</summary>
    public static GptConfig ModelConfigOf(Checkpoint checkpoint)
    {
        if (checkpoint.Manifest.Config["model"] is not JsonObject model)
            throw new CheckpointException($"checkpoint '{checkpoint.Name}' has no config.model in its sidecar");
        try
        {
            return GptConfig.FromJson(model);
        }
        catch (FormatException e)
        {
            throw new CheckpointException($"checkpoint '{checkpoint.Name}': {e.Message}");
        }
    }

    /// <summary>
    /// Throws when <paramref name="config"/> cannot continue <paramref name="checkpoint"/>: a model-shape, tokenizer or
    /// optimizer key differs: the state could not be read. Every other key may change here; <c>engine train --resume</c>
    /// holds a run to more of its settings (<see cref="ResumeRules"/>).
    /// </summary>
    /// <exception cref="CheckpointMismatchException">The message and DifferingKeys name every differing key.</exception>
    public static void RequireCompatible(Checkpoint checkpoint, TrainConfig config) =>
        RequireEqual(checkpoint, config, ResumeKeys, $"Cannot resume from checkpoint '{checkpoint.Name}'",
            "Use the checkpoint's values, or another --out-dir to start a new run.");

    /// <summary>
    /// Throws when <paramref name="config"/> builds another model than <paramref name="checkpoint"/> holds (shape or
    /// tokenizer keys), so its weights cannot start the run (<see cref="TrainConfig.InitFrom"/>). The optimizer may differ.
    /// </summary>
    /// <exception cref="CheckpointMismatchException">The message and DifferingKeys name every differing key.</exception>
    public static void RequireSameModel(Checkpoint checkpoint, TrainConfig config, string location) =>
        RequireEqual(checkpoint, config, ModelKeys, $"--init-from '{location}' (checkpoint '{checkpoint.Name}') holds another model",
            "Give the model flags the checkpoint's values.");

    private static void RequireEqual(Checkpoint checkpoint, TrainConfig config, string[] keys, string problem, string advice)
    {
        var saved = checkpoint.Manifest.Config["train"] as JsonObject
                    ?? throw new CheckpointException($"checkpoint '{checkpoint.Name}' has no config.train in its sidecar");
        var current = JsonSerializer.SerializeToNode(config, ConfigJson)!.AsObject();
        bool bpe = config.Tokenizer == "bpe" || saved["tokenizer"]?.GetValue<string>() == "bpe";
        var differing = keys
            .Where(key => key != "bpe_vocab" || bpe)
            .Where(key => !JsonNode.DeepEquals(saved[key], current[key]))
            .ToArray();
        if (differing.Length == 0) return;
        var details = differing.Select(key =>
            $"{key}: checkpoint {saved[key]?.ToJsonString() ?? "(missing)"}, config {current[key]?.ToJsonString() ?? "(missing)"}");
        throw new CheckpointMismatchException(
            $"{problem}: the configuration differs in {string.Join(", ", differing)} ({string.Join("; ", details)}). {advice}",
            differing);
    }

    /// <summary>The tensors of a checkpoint: every model parameter, and every optimizer slot when one is given.</summary>
    /// <param name="values">The model's values already copied to the host (<c>ExportValues</c>), or null to copy them here.</param>
    public static List<SafeTensor> Tensors(GptModel model, Optimizer? optimizer, float[]? values = null)
    {
        var store = model.Parameters.Store;
        values ??= store.ExportValues();
        var tensors = store.Parameters
            .Select(p => SafeTensor.FromSingles(CheckpointTensorNames.Model(p.Name), p.Shape.ToArray(),
                values.AsSpan(checked((int)p.Offset), checked((int)p.Count))))
            .ToList();
        if (optimizer is null) return tensors;
        var state = optimizer.ExportState();
        var names = ShortSlotNames(optimizer.SlotNames);
        for (int s = 0; s < state.Slots.Count; s++)
            foreach (var p in store.Parameters)
                tensors.Add(SafeTensor.FromSingles(CheckpointTensorNames.Optimizer(names[s], p.Name), p.Shape.ToArray(),
                    state.Slots[s].Values.AsSpan(checked((int)p.Offset), checked((int)p.Count))));
        foreach (var extra in state.Extras)
            tensors.Add(SafeTensor.FromSingles(ExtraPrefix + extra.Name, [extra.Values.Length], extra.Values));
        return tensors;
    }

    public static CheckpointManifest Manifest(GptModel model, TrainConfig config, TokenizerSpec tokenizer, Optimizer optimizer,
                                              IReadOnlyDictionary<string, RngState> rng, JsonObject extra) => new()
    {
        Config = ConfigToJson(model.Config, config),
        Tokenizer = tokenizer,
        Step = optimizer.StepCount,
        RngStates = rng,
        Optimizer = new JsonObject
        {
            ["kind"] = config.Optim,
            ["chain"] = optimizer.OthersChain is { } others ? $"hidden: {optimizer.Chain}; other: {others}" : optimizer.Chain.ToString(),
            ["slots"] = new JsonArray(optimizer.SlotNames.Select(n => (JsonNode)JsonValue.Create(n)).ToArray()),
            ["step"] = optimizer.StepCount,
        },
        Extra = extra,
    };

    /// <summary>Copies the checkpoint's "model.*" tensors into the model's parameters.</summary>
    /// <exception cref="CheckpointException">A parameter is missing or has another shape or dtype.</exception>
    public static void LoadWeights(Checkpoint checkpoint, GptModel model)
    {
        var store = model.Parameters.Store;
        var values = new float[store.Count];
        foreach (var p in store.Parameters)
            Read(checkpoint, CheckpointTensorNames.Model(p.Name), p).CopyTo(values.AsSpan(checked((int)p.Offset)));
        store.ImportValues(values);
    }

    /// <summary>Restores the optimizer's step count and state slots from the checkpoint's "optim.*" tensors.</summary>
    /// <exception cref="CheckpointException">A slot tensor is missing or has another shape.</exception>
    public static void LoadOptimizer(Checkpoint checkpoint, Optimizer optimizer, ParameterStore store)
    {
        var names = ShortSlotNames(optimizer.SlotNames);
        var slots = new OptimizerSlot[names.Length];
        for (int s = 0; s < names.Length; s++)
        {
            var values = new float[store.Count];
            foreach (var p in store.Parameters)
                Read(checkpoint, CheckpointTensorNames.Optimizer(names[s], p.Name), p).CopyTo(values.AsSpan(checked((int)p.Offset)));
            slots[s] = new OptimizerSlot(optimizer.SlotNames[s], values);
        }
        var extras = checkpoint.Weights.Tensors
            .Where(t => t.Name.StartsWith(ExtraPrefix, StringComparison.Ordinal))
            .Select(t => new OptimizerSlot(t.Name[ExtraPrefix.Length..], t.ToSingles()))
            .ToArray();
        try
        {
            optimizer.ImportState(new OptimizerState(checkpoint.Manifest.Step, slots) { Extras = extras });
        }
        catch (ArgumentException e)
        {
            throw new CheckpointException($"checkpoint '{checkpoint.Name}': {e.Message}");
        }
    }

    /// <summary>"m", "v", "buffer": the state name of each slot ("1:scale_by_adam.m" → "m"), or the full names when two would clash.</summary>
    private static string[] ShortSlotNames(IReadOnlyList<string> slotNames)
    {
        var stateNames = slotNames.Select(n => n[(n.LastIndexOf('.') + 1)..]).ToArray();
        return stateNames.Distinct().Count() == stateNames.Length ? stateNames : slotNames.ToArray();
    }

    /// <summary>Prefix of the structured links' extra state tensors.</summary>
    private const string ExtraPrefix = CheckpointTensorNames.OptimizerPrefix + "extra.";

    private static float[] Read(Checkpoint checkpoint, string name, Parameter p)
    {
        if (!checkpoint.Weights.Contains(name))
            throw new CheckpointException($"checkpoint '{checkpoint.Name}' lacks tensor '{name}' (shape [{string.Join(", ", p.Shape)}])");
        var tensor = checkpoint.Weights[name];
        if (!tensor.Shape.SequenceEqual(p.Shape) || tensor.DType != SafeTensorDType.F32)
            throw new CheckpointException(
                $"checkpoint '{checkpoint.Name}': tensor '{name}' is {tensor.DType} [{string.Join(", ", tensor.Shape)}], " +
                $"the model needs F32 [{string.Join(", ", p.Shape)}]");
        return tensor.ToSingles();
    }
}
