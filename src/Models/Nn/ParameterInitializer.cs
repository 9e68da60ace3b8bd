using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;
using Engine.Models.Data;
using Engine.Tensors;

namespace Engine.Models.Nn;

/// <summary>
/// Draws a parameter's starting values from its role, its shape and the init scheme. Random values come from the
/// engine's counter-based generator (<see cref="Tensor.Normal"/>, <see cref="Tensor.Uniform"/>), so every backend
/// starts from the same weights, and each parameter has its own seed derived from the run's seed and its index.
/// </summary>
public sealed class ParameterInitializer(InitScheme scheme, int layers, ulong seed)
{
    /// <summary>nanoGPT's weight std.</summary>
    public const float Std = 0.02f;

    /// <summary>Redraws before truncated-normal values still outside ±2σ are clamped (0.0455^8 ≈ 2e-11 of them).</summary>
    private const int TruncationRounds = 8;

    private static readonly FusedProgram RedrawOutside = BuildRedrawOutside();

    public InitScheme Scheme { get; } = scheme;

    /// <summary>The starting values of parameter number <paramref name="index"/> (row-major).</summary>
    public float[] Values(ComputeDevice device, ParameterRole role, IReadOnlyList<int> shape, int index)
    {
        var dims = shape.ToArray();
        int count = dims.Aggregate(1, (n, d) => checked(n * d));
        switch (role)
        {
            case ParameterRole.Bias: return new float[count];
            case ParameterRole.Gain: return Enumerable.Repeat(1f, count).ToArray();
        }
        if (dims.Length != 2)
            throw new ArgumentException($"weight #{index} must be a matrix [out, in] or an embedding [rows, dim]; got shape [{string.Join(", ", dims)}]");
        ulong paramSeed = SeedOf(index);
        int fanOut = dims[0], fanIn = dims[1];
        using var values = Scheme switch
        {
            InitScheme.Normal => Tensor.Normal(device, paramSeed, 0f, role == ParameterRole.ResidualProjection
                ? Std / MathF.Sqrt(2f * layers) : Std, dims),
            InitScheme.XavierNormal => Tensor.Normal(device, paramSeed, 0f, MathF.Sqrt(2f / (fanIn + fanOut)), dims),
            InitScheme.HeUniform => Tensor.Uniform(device, paramSeed, -MathF.Sqrt(6f / fanIn), MathF.Sqrt(6f / fanIn), dims),
            _ => TruncatedNormal(device, paramSeed, dims),
        };
        return values.ToArray();
    }

    /// <summary>N(0, σ) with every draw outside ±2σ replaced by a fresh draw (elementwise, so still backend-independent).</summary>
    private static Tensor TruncatedNormal(ComputeDevice device, ulong paramSeed, int[] shape)
    {
        float bound = 2 * Std;
        var current = Tensor.Normal(device, paramSeed, 0f, Std, shape);
        ulong state = paramSeed;
        for (int round = 0; round < TruncationRounds; round++)
        {
            using var previous = current;
            using var redraw = Tensor.Normal(device, Xoshiro256StarStar.SplitMix64(ref state), 0f, Std, shape);
            current = Tensor.Map(RedrawOutside, "TruncatedNormal", [bound], previous, redraw);
        }
        using var last = current;
        using var low = Tensor.Full(device, -bound, 1);
        using var high = Tensor.Full(device, bound, 1);
        using var clampedBelow = Tensor.Maximum(last, low);
        return Tensor.Minimum(clampedBelow, high);
    }

    private ulong SeedOf(int index)
    {
        ulong state = seed ^ (0x9E3779B97F4A7C15UL * (ulong)(index + 1));
        return Xoshiro256StarStar.SplitMix64(ref state);
    }

    private static FusedProgram BuildRedrawOutside()
    {
        var b = new FusionBuilder("truncated_normal_redraw");
        var x = b.Input("x");
        var redraw = b.Input("redraw");
        var bound = b.Scalar("bound");
        b.Output("y", Fx.Where(Fx.Greater(Fx.Abs(x), bound), redraw, x));
        return b.Build();
    }
}
