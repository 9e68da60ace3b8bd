namespace Engine.Models.Checkpoints;

/// <summary>A loaded, validated checkpoint: its sidecar contents and its tensors.</summary>
public sealed class Checkpoint(string name, CheckpointManifest manifest, SafeTensorsFile weights, string weightsSha256)
{
    /// <summary>Name: the files are &lt;dir&gt;/&lt;name&gt;.safetensors and &lt;dir&gt;/&lt;name&gt;.json.</summary>
    public string Name { get; } = name;

    /// <summary>The sidecar contents.</summary>
    public CheckpointManifest Manifest { get; } = manifest;

    /// <summary>Model weights ("model.*") and optimizer state ("optim.*") tensors.</summary>
    public SafeTensorsFile Weights { get; } = weights;

    /// <summary>Lower-case hex SHA-256 of the safetensors file, as recorded in (and checked against) the sidecar.</summary>
    public string WeightsSha256 { get; } = weightsSha256;
}
