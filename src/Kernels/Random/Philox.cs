namespace Engine.Kernels.Random;

/// <summary>
/// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw, "Parallel random numbers:
/// as easy as 1, 2, 3" (SC 2011), bit-exact with Random123's <c>philox4x32_R(10, ctr, key)</c>.
/// <para>
/// The spec every backend implements (the OpenCL kernel does the same in OpenCL C), so a tensor filled
/// on any device holds the same values:
/// <list type="bullet">
/// <item>Element i of a fill with seed s: counter = {lo32(i), hi32(i), 0, 0}, key = {lo32(s), hi32(s)};
/// ten rounds give x0..x3.</item>
/// <item>A round: (hi0, lo0) = M0 * c0, (hi1, lo1) = M1 * c2 (32x32 to 64-bit products), then
/// c = {hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0}; between rounds the key grows by (W0, W1).</item>
/// <item>Uniform on [a, b): u = (x0 &gt;&gt; 8) * 2^-24, value = a + (b - a) * u (fp32).</item>
/// <item>Normal with mean a and std b (Box-Muller, cosine branch): u1 = ((x0 &gt;&gt; 8) + 1) * 2^-24 in (0, 1],
/// u2 = (x1 &gt;&gt; 8) * 2^-24, z = sqrt(-2 ln u1) * cos(2 pi u2) evaluated in fp32 (sqrtf, logf, cosf;
/// 2 pi rounded to fp32), value = a + b * z.</item>
/// </list>
/// x2 and x3 are not used, so element i never depends on any other element.
/// </para>
/// </summary>
public static class Philox
{
    public const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    public const uint W0 = 0x9E3779B9, W1 = 0xBB67AE85;
    public const int Rounds = 10;

    /// <summary>2^-24: maps the top 24 bits of a word onto [0, 1) exactly in fp32.</summary>
    private const float UnitScale = 1f / (1 << 24);

    private const float TwoPi = 6.2831855f;

    /// <summary>The ten-round block function on a 128-bit counter and a 64-bit key.</summary>
    public static (uint X0, uint X1, uint X2, uint X3) Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int round = 0; round < Rounds; round++)
        {
            if (round > 0) { k0 += W0; k1 += W1; }
            ulong p0 = (ulong)M0 * c0, p1 = (ulong)M1 * c2;
            uint hi0 = (uint)(p0 >> 32), lo0 = (uint)p0, hi1 = (uint)(p1 >> 32), lo1 = (uint)p1;
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0);
        }
        return (c0, c1, c2, c3);
    }

    /// <summary>The block for element <paramref name="index"/> of a fill seeded with <paramref name="seed"/>.</summary>
    public static (uint X0, uint X1, uint X2, uint X3) ForElement(ulong seed, ulong index)
        => Block((uint)index, (uint)(index >> 32), 0, 0, (uint)seed, (uint)(seed >> 32));

    /// <summary>Element <paramref name="index"/> of a uniform fill on [a, b).</summary>
    public static float Uniform(ulong seed, ulong index, float a, float b)
    {
        var (x0, _, _, _) = ForElement(seed, index);
        float u = (x0 >> 8) * UnitScale;
        return a + (b - a) * u;
    }

    /// <summary>Element <paramref name="index"/> of a normal fill with mean <paramref name="mean"/> and std <paramref name="std"/>.</summary>
    public static float Normal(ulong seed, ulong index, float mean, float std)
    {
        var (x0, x1, _, _) = ForElement(seed, index);
        float u1 = ((x0 >> 8) + 1) * UnitScale;
        float u2 = (x1 >> 8) * UnitScale;
        float z = MathF.Sqrt(-2f * MathF.Log(u1)) * MathF.Cos(TwoPi * u2);
        return mean + std * z;
    }
}
