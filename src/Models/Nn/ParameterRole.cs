namespace Engine.Models.Nn;

/// <summary>What a trainable tensor is for; the init scheme picks its starting values from this and its shape.</summary>
public enum ParameterRole
{
    /// <summary>A matrix of a linear layer or an embedding table: drawn from the init scheme.</summary>
    Weight,

    /// <summary>
    /// A linear layer that writes into the residual stream (attention and MLP output projections). Under the
    /// "normal" scheme its std is 0.02/√(2·layers), as GPT-2 and nanoGPT, so the residual sum keeps its scale.
    /// </summary>
    ResidualProjection,

    /// <summary>A bias: zeros.</summary>
    Bias,

    /// <summary>A LayerNorm gain: ones.</summary>
    Gain,
}
