using Engine.Kernels.Devices;
using Engine.Models.Checkpoints;
using Engine.Models.Gpt;
using Engine.Models.Nn;
using Engine.Models.Text;
using Engine.Models.Training;

namespace Engine.Models.Sampling;

/// <summary>A model restored from a checkpoint together with the tokenizer it was trained with (no optimizer state).</summary>
public sealed class TrainedModel : IDisposable
{
    private TrainedModel(GptModel model, ITokenizer tokenizer, Checkpoint checkpoint)
    {
        Model = model;
        Tokenizer = tokenizer;
        Checkpoint = checkpoint;
    }

    public GptModel Model { get; }
    public ITokenizer Tokenizer { get; }
    public Checkpoint Checkpoint { get; }

    /// <summary>
    /// Loads checkpoint <paramref name="name"/> from <paramref name="directory"/>, or the latest complete one when
    /// <paramref name="name"/> is null, onto <paramref name="device"/>.
    /// </summary>
    /// <exception cref="CheckpointException">No checkpoint, or an incomplete, corrupt or foreign one.</exception>
    public static TrainedModel Load(string directory, ComputeDevice device, string? name = null)
    {
        var store = new CheckpointStore(directory);
        var checkpoint = name is null
            ? store.LoadLatest() ?? throw new CheckpointException($"No checkpoint in '{directory}' (train first, or pass --out-dir of a run).")
            : store.Load(name);
        return FromCheckpoint(checkpoint, device);
    }

    public static TrainedModel FromCheckpoint(Checkpoint checkpoint, ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var tokenizer = Text.Tokenizer.FromSpec(checkpoint.Manifest.Tokenizer);
        var config = TrainingCheckpoint.ModelConfigOf(checkpoint);
        if (config.VocabSize != tokenizer.VocabSize)
            throw new CheckpointException(
                $"checkpoint '{checkpoint.Name}': the model has vocab_size {config.VocabSize}, its tokenizer {tokenizer.VocabSize} ids");
        var model = new GptModel(config, device, InitScheme.Normal, seed: 0);
        try
        {
            TrainingCheckpoint.LoadWeights(checkpoint, model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return new TrainedModel(model, tokenizer, checkpoint);
    }

    public void Dispose() => Model.Dispose();
}
