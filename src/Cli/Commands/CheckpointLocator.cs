using System.Text.Json;
using Engine.Kernels.Devices;
using Engine.Models.Checkpoints;
using Engine.Models.Config;
using Engine.Models.Sampling;
using Engine.Models.Training;

namespace Engine.Cli.Commands;

/// <summary>Resolves <c>--checkpoint DIR_OR_FILE</c> (<see cref="CheckpointStore.Locate"/>) for sample and eval.</summary>
internal static class CheckpointLocator
{
    /// <summary>
    /// The checkpoint at <paramref name="location"/>, restored onto device <paramref name="deviceId"/>; a damaged
    /// checkpoint passed over for an older one is a warning in <paramref name="session"/>.
    /// </summary>
    /// <exception cref="CheckpointException">Nothing at the path, or a missing, incomplete, corrupt or foreign checkpoint.</exception>
    /// <exception cref="ArgumentException">An unknown or absent device.</exception>
    public static TrainedModel LoadModel(string location, string deviceId, CliSession session)
    {
        var checkpoint = CheckpointStore.Locate(location, session.Warn);
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
}
