namespace Engine.Models.Nn;

/// <summary>How weight matrices and embedding tables start (biases start at 0, LayerNorm gains at 1).</summary>
public enum InitScheme
{
    /// <summary>N(0, 0.02), residual projections N(0, 0.02/√(2·layers)): nanoGPT's init.</summary>
    Normal,

    /// <summary>Xavier (Glorot) normal: N(0, √(2 / (fan_in + fan_out))).</summary>
    XavierNormal,

    /// <summary>He (Kaiming) uniform for ReLU-like units: U(−√(6 / fan_in), √(6 / fan_in)).</summary>
    HeUniform,

    /// <summary>N(0, 0.02) truncated to ±2σ (out-of-range draws are redrawn).</summary>
    TruncatedNormal,
}

/// <summary>The init scheme names of <c>TrainConfig.Init</c>.</summary>
public static class InitSchemes
{
    public static InitScheme Parse(string name) => name switch
    {
        "normal" => InitScheme.Normal,
        "xavier" => InitScheme.XavierNormal,
        "he" => InitScheme.HeUniform,
        "trunc" => InitScheme.TruncatedNormal,
        _ => throw new ArgumentException($"unknown init scheme '{name}' (known: normal, xavier, he, trunc)", nameof(name)),
    };
}
