using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Engine.Kernels.Devices;
using Engine.Models.Checkpoints;
using Engine.Models.Config;
using Engine.Models.Gpt;
using Engine.Models.Nn;

namespace Engine.Models.Training;

/// <summary>
/// θ_0, the weights a run started from, which its perturbation ||θ − θ_0|| / ||θ_0|| is measured against, and their
/// SHA-256, which the run's checkpoints keep. A resumed run rebuilds θ_0 rather than storing it (the seeded init, or the
/// --init-from checkpoint's weights) and checks the rebuilt weights against that hash.
/// </summary>
internal sealed class StartingWeights
{
    private StartingWeights(float[]? values, string? hash)
    {
        Values = values;
        Hash = hash;
    }

    /// <summary>θ_0 in the store's layout; null when a resumed run could not rebuild it.</summary>
    public float[]? Values { get; }

    /// <summary>The SHA-256 of θ_0 as the run began (null only for a run resumed from a checkpoint written before it was kept).</summary>
    public string? Hash { get; }

    /// <summary>A fresh run's θ_0: the weights it starts with.</summary>
    public static StartingWeights Of(float[] values) => new(values, HashOf(values));

    /// <summary>
    /// θ_0 of a run resumed with <paramref name="config"/>, whose checkpoint recorded <paramref name="expectedHash"/>. Null
    /// values, with a warning, when the --init-from checkpoint can no longer be read or no longer holds those weights (a
    /// run folder whose latest checkpoint has moved on).
    /// </summary>
    public static StartingWeights Rebuild(TrainConfig config, GptConfig model, ComputeDevice device, string? expectedHash, Action<string> warn)
    {
        using var start = new GptModel(model, device, InitSchemes.Parse(config.Init), config.Seed);
        if (config.InitFrom is { } path)
        {
            try
            {
                TrainingCheckpoint.LoadWeights(CheckpointStore.Locate(path, warn), start);
            }
            catch (Exception e) when (e is CheckpointException or IOException or UnauthorizedAccessException)
            {
                warn($"the perturbation is not logged: the run's starting weights (--init-from {path}) cannot be read: {e.Message}");
                return new StartingWeights(null, expectedHash);
            }
        }
        var values = start.Parameters.Store.ExportValues();
        string hash = HashOf(values);
        if (expectedHash is null || hash == expectedHash) return new StartingWeights(values, hash);
        warn("the perturbation is not logged: the run's starting weights " +
             (config.InitFrom is { } from ? $"(--init-from {from}) have changed since it began (its latest checkpoint has moved on?)"
                                          : "no longer match the seeded init"));
        return new StartingWeights(null, expectedHash);
    }

    private static string HashOf(float[] values) => Convert.ToHexString(SHA256.HashData(MemoryMarshal.AsBytes(values.AsSpan())));
}
