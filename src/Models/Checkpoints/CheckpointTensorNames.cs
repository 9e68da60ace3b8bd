namespace Engine.Models.Checkpoints;

/// <summary>Naming convention for tensors in a checkpoint, so weights load by name in any safetensors reader.</summary>
public static class CheckpointTensorNames
{
    /// <summary>Prefix of model parameters.</summary>
    public const string ModelPrefix = "model.";

    /// <summary>Prefix of optimizer state.</summary>
    public const string OptimizerPrefix = "optim.";

    /// <summary>"model.&lt;parameter&gt;", e.g. "model.h.0.attn.c_attn.weight".</summary>
    public static string Model(string parameter) => ModelPrefix + parameter;

    /// <summary>"optim.&lt;state&gt;.&lt;parameter&gt;", e.g. "optim.exp_avg.h.0.attn.c_attn.weight".</summary>
    public static string Optimizer(string state, string parameter) => $"{OptimizerPrefix}{state}.{parameter}";
}
