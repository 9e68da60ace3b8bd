using System.Text.Json;
using Engine.Kernels.Devices;
using Engine.Models.Checkpoints;
using Engine.Models.Config;
using Engine.Models.Sampling;
using Engine.Models.Training;

namespace Engine.Cli.Commands;

/// <summary>
/// Resolves <c>--checkpoint DIR_OR_FILE</c>: a directory means its latest complete checkpoint, NAME.json or
/// NAME.safetensors means checkpoint NAME beside it (latest.json: the one it points to).
/// </summary>
internal static class CheckpointLocator
{
    /// <summary>The checkpoint at <paramref name="location"/>, restored onto device <paramref name="deviceId"/>.</summary>
    /// <exception cref="CheckpointException">Nothing at the path, or a missing, incomplete, corrupt or foreign checkpoint.</exception>
    /// <exception cref="ArgumentException">An unknown or absent device.</exception>
    public static TrainedModel LoadModel(string location, string deviceId)
    {
        var checkpoint = Locate(location);
        return TrainedModel.FromCheckpoint(checkpoint, DeviceRegistry.Open(deviceId));
    }

    /// <summary>The training configuration <paramref name="checkpoint"/> was written with.</summary>
    public static TrainConfig TrainConfigOf(Checkpoint checkpoint)
    {
        try
        {
            return TrainingCheckpoint.TrainConfigOf(checkpoint);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"checkpoint '{checkpoint.Name}' has an unreadable config.train: {e.Message}");
        }
    }

    /// <summary>&lt;dir&gt;/&lt;name&gt; of the checkpoint <paramref name="location"/> resolves to, for messages.</summary>
    public static string Describe(string location, Checkpoint checkpoint) =>
        Path.Combine(Directory.Exists(location) ? location : DirectoryOf(location), checkpoint.Name);

    private static Checkpoint Locate(string location)
    {
        if (Directory.Exists(location))
            return new CheckpointStore(location).LoadLatest()
                   ?? throw new CheckpointException($"no checkpoint in directory '{location}' (expected NAME.json + NAME.safetensors)");
        if (!File.Exists(location))
            throw new CheckpointException($"checkpoint '{location}' not found: expected a checkpoint directory, NAME.json or NAME.safetensors");
        if (Path.GetExtension(location) is not (".json" or ".safetensors"))
            throw new CheckpointException($"'{location}' is not a checkpoint: expected a checkpoint directory, NAME.json or NAME.safetensors");
        var directory = DirectoryOf(location);
        var store = new CheckpointStore(directory);
        if (Path.GetFileName(location) == CheckpointStore.LatestFileName)
            return store.LoadLatest() ?? throw new CheckpointException($"no checkpoint in directory '{directory}'");
        return store.Load(Path.GetFileNameWithoutExtension(location));
    }

    private static string DirectoryOf(string file) => Path.GetDirectoryName(file) is { Length: > 0 } d ? d : ".";
}
