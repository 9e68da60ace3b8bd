namespace Engine.Models.Checkpoints;

/// <summary>A checkpoint or safetensors file that is missing, incomplete, corrupt or foreign; the message names the file.</summary>
public sealed class CheckpointException(string message) : Exception(message);
