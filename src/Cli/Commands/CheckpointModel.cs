using System.Text.Json;
using Engine.Kernels.Devices;
using Engine.Models.Checkpoints;
using Engine.Models.Config;
using Engine.Models.Gpt;
using Engine.Models.Nn;
using Engine.Models.Text;
using Engine.Models.Training;

namespace Engine.Cli.Commands;

/// <summary>
/// A trained model loaded from <c>--checkpoint DIR_OR_FILE</c>: a directory means its latest complete checkpoint,
/// a file NAME.json or NAME.safetensors means checkpoint NAME beside it. Holds the model on its device, the
/// tokenizer and the training configuration the checkpoint was written with.
/// </summary>
internal sealed class CheckpointModel : IDisposable
{
    private CheckpointModel(string path, Checkpoint checkpoint, TrainConfig trainConfig, ITokenizer tokenizer, GptModel model)
    {
        Path = path;
        Checkpoint = checkpoint;
        TrainConfig = trainConfig;
        Tokenizer = tokenizer;
        Model = model;
    }

    /// <summary>Where the checkpoint lives: &lt;dir&gt;/&lt;name&gt;.</summary>
    public string Path { get; }

    public Checkpoint Checkpoint { get; }

    public TrainConfig TrainConfig { get; }

    public ITokenizer Tokenizer { get; }

    public GptModel Model { get; }

    /// <exception cref="CheckpointException">Nothing at the path, or a missing, incomplete, corrupt or foreign checkpoint.</exception>
    /// <exception cref="ArgumentException">An unknown or absent device.</exception>
    public static CheckpointModel Load(string location, string deviceId)
    {
        var (directory, checkpoint) = Locate(location);
        var trainConfig = TrainConfigOf(checkpoint);
        var tokenizer = Models.Text.Tokenizer.FromSpec(checkpoint.Manifest.Tokenizer);
        var modelConfig = TrainingCheckpoint.ModelConfigOf(checkpoint);
        if (modelConfig.VocabSize != tokenizer.VocabSize)
            throw new CheckpointException(
                $"checkpoint '{checkpoint.Name}' in '{directory}' is inconsistent: its model has {modelConfig.VocabSize} token ids, its tokenizer {tokenizer.VocabSize}");
        var device = DeviceRegistry.Open(deviceId);
        var model = new GptModel(modelConfig, device, InitScheme.Normal, seed: 0);
        try
        {
            TrainingCheckpoint.LoadWeights(checkpoint, model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return new CheckpointModel(System.IO.Path.Combine(directory, checkpoint.Name), checkpoint, trainConfig, tokenizer, model);
    }

    private static (string Directory, Checkpoint Checkpoint) Locate(string location)
    {
        if (Directory.Exists(location))
            return (location, new CheckpointStore(location).LoadLatest()
                              ?? throw new CheckpointException($"no checkpoint in directory '{location}' (expected NAME.json + NAME.safetensors)"));
        if (!File.Exists(location))
            throw new CheckpointException($"checkpoint '{location}' not found: expected a checkpoint directory, NAME.json or NAME.safetensors");
        var extension = System.IO.Path.GetExtension(location);
        if (extension is not (".json" or ".safetensors"))
            throw new CheckpointException($"'{location}' is not a checkpoint: expected a checkpoint directory, NAME.json or NAME.safetensors");
        var directory = System.IO.Path.GetDirectoryName(location) is { Length: > 0 } d ? d : ".";
        var store = new CheckpointStore(directory);
        var name = System.IO.Path.GetFileNameWithoutExtension(location);
        if (System.IO.Path.GetFileName(location) == CheckpointStore.LatestFileName)
            return (directory, store.LoadLatest() ?? throw new CheckpointException($"no checkpoint in directory '{directory}'"));
        return (directory, store.Load(name));
    }

    private static TrainConfig TrainConfigOf(Checkpoint checkpoint)
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

    public void Dispose() => Model.Dispose();
}
