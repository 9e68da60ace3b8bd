using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Models.Data;
using Engine.Models.Text;

namespace Engine.Models.Checkpoints;

/// <summary>
/// JSON form of a checkpoint's sidecar and of the "latest" pointer. Both carry a "format" marker and a version so a
/// foreign JSON file or one from an incompatible build is rejected with a clear message rather than misread.
/// </summary>
internal static class CheckpointSidecar
{
    public const string Format = "engine-checkpoint";
    public const string LatestFormat = "engine-checkpoint-latest";
    public const int FormatVersion = 1;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static byte[] Serialize(string name, CheckpointManifest manifest, string weightsFile, long weightsBytes, string weightsSha256)
    {
        var rng = new JsonObject();
        foreach (var (role, state) in manifest.RngStates) rng[role] = state.ToString();
        var root = new JsonObject
        {
            ["format"] = Format,
            ["formatVersion"] = FormatVersion,
            ["name"] = name,
            ["step"] = manifest.Step,
            ["weights"] = new JsonObject { ["file"] = weightsFile, ["bytes"] = weightsBytes, ["sha256"] = weightsSha256 },
            ["config"] = manifest.Config.DeepClone(),
            ["tokenizer"] = new JsonObject
            {
                ["kind"] = manifest.Tokenizer.Kind,
                ["vocabSize"] = manifest.Tokenizer.VocabSize,
                ["data"] = manifest.Tokenizer.Data,
            },
            ["rng"] = rng,
            ["optimizer"] = manifest.Optimizer.DeepClone(),
            ["extra"] = manifest.Extra.DeepClone(),
        };
        return JsonSerializer.SerializeToUtf8Bytes(root, Indented);
    }

    public static byte[] SerializeLatest(string name, long step) => JsonSerializer.SerializeToUtf8Bytes(
        new JsonObject { ["format"] = LatestFormat, ["formatVersion"] = FormatVersion, ["name"] = name, ["step"] = step }, Indented);

    /// <summary>The manifest and the recorded weights (file, size, hash) of a sidecar.</summary>
    public static (CheckpointManifest Manifest, string WeightsFile, long WeightsBytes, string WeightsSha256) Parse(byte[] bytes, string path)
    {
        var root = ParseVersioned(bytes, path, Format, "checkpoint sidecar");
        var weights = Required<JsonObject>(root, "weights", path);
        var tokenizer = Required<JsonObject>(root, "tokenizer", path);
        var rngStates = new Dictionary<string, RngState>(StringComparer.Ordinal);
        foreach (var (role, node) in Required<JsonObject>(root, "rng", path))
        {
            try
            {
                rngStates[role] = RngState.Parse(AsValue<string>(node, $"rng.{role}", path));
            }
            catch (FormatException e)
            {
                throw new CheckpointException($"Checkpoint sidecar '{path}' has an unusable rng.{role}: {e.Message}");
            }
        }
        var manifest = new CheckpointManifest
        {
            Config = (JsonObject)Required<JsonObject>(root, "config", path).DeepClone(),
            Tokenizer = new TokenizerSpec(
                RequiredValue<string>(tokenizer, "kind", path),
                RequiredValue<int>(tokenizer, "vocabSize", path),
                RequiredValue<string>(tokenizer, "data", path)),
            Step = RequiredValue<long>(root, "step", path),
            RngStates = rngStates,
            Optimizer = (JsonObject)Required<JsonObject>(root, "optimizer", path).DeepClone(),
            Extra = (JsonObject)Required<JsonObject>(root, "extra", path).DeepClone(),
        };
        return (manifest, RequiredValue<string>(weights, "file", path), RequiredValue<long>(weights, "bytes", path),
            RequiredValue<string>(weights, "sha256", path));
    }

    public static (string Name, long Step) ParseLatest(byte[] bytes, string path)
    {
        var root = ParseVersioned(bytes, path, LatestFormat, "latest-checkpoint pointer");
        return (RequiredValue<string>(root, "name", path), RequiredValue<long>(root, "step", path));
    }

    private static JsonObject ParseVersioned(byte[] bytes, string path, string format, string what)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"File '{path}' is not valid JSON, so it is not a {what} ({e.Message}).");
        }
        if (node is not JsonObject root
            || !root.TryGetPropertyValue("format", out var marker)
            || marker is not JsonValue markerValue
            || !markerValue.TryGetValue(out string? markerText)
            || markerText != format)
            throw new CheckpointException($"File '{path}' is not an Engine {what}: it lacks \"format\": \"{format}\".");
        int version = RequiredValue<int>(root, "formatVersion", path);
        if (version != FormatVersion)
            throw new CheckpointException(
                $"File '{path}' is a {what} of format version {version}; this build reads version {FormatVersion}.");
        return root;
    }

    private static T Required<T>(JsonObject parent, string key, string path) where T : JsonNode =>
        parent.TryGetPropertyValue(key, out var node) && node is T typed
            ? typed
            : throw new CheckpointException($"Checkpoint file '{path}' lacks \"{key}\" or it is not a JSON {Describe<T>()}.");

    private static T RequiredValue<T>(JsonObject parent, string key, string path) =>
        parent.TryGetPropertyValue(key, out var node)
            ? AsValue<T>(node, key, path)
            : throw new CheckpointException($"Checkpoint file '{path}' lacks \"{key}\".");

    private static T AsValue<T>(JsonNode? node, string key, string path) =>
        node is JsonValue value && value.TryGetValue(out T? result) && result is not null
            ? result
            : throw new CheckpointException($"Checkpoint file '{path}' has \"{key}\" = {node?.ToJsonString() ?? "null"}, not a {typeof(T).Name}.");

    private static string Describe<T>() => typeof(T) == typeof(JsonObject) ? "object" : typeof(T).Name;
}
