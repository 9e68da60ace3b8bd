using System.Numerics;

namespace Engine.Models.Data;

/// <summary>
/// xoshiro256** (Blackman and Vigna, 2018), seeded through SplitMix64 as its authors recommend. Implemented here
/// rather than using System.Random so the sequence is fixed across .NET versions and the state can be saved in a
/// checkpoint and restored, making a resumed run draw exactly the numbers an uninterrupted run would.
/// </summary>
public sealed class Xoshiro256StarStar
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Seeds the four state words with consecutive SplitMix64 outputs of <paramref name="seed"/>.</summary>
    public Xoshiro256StarStar(ulong seed)
    {
        ulong sm = seed;
        _s0 = SplitMix64(ref sm);
        _s1 = SplitMix64(ref sm);
        _s2 = SplitMix64(ref sm);
        _s3 = SplitMix64(ref sm);
    }

    /// <summary>Continues from a saved state.</summary>
    /// <exception cref="ArgumentException">The all-zero state.</exception>
    public Xoshiro256StarStar(RngState state)
    {
        State = state;
    }

    /// <summary>The current state; assigning it rewinds or fast-forwards the generator.</summary>
    /// <exception cref="ArgumentException">Assigning the all-zero state.</exception>
    public RngState State
    {
        get => new(_s0, _s1, _s2, _s3);
        set
        {
            if (!value.IsValid) throw new ArgumentException("xoshiro256** cannot run from the all-zero state.", nameof(value));
            (_s0, _s1, _s2, _s3) = (value.S0, value.S1, value.S2, value.S3);
        }
    }

    /// <summary>SplitMix64 step: advances <paramref name="state"/> and returns the next output.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 uniformly distributed bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform integer in [0, <paramref name="bound"/>), without modulo bias (Lemire's method).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bound"/> is zero.</exception>
    public ulong NextBelow(ulong bound)
    {
        ArgumentOutOfRangeException.ThrowIfZero(bound);
        ulong high = Math.BigMul(NextUInt64(), bound, out ulong low);
        if (low < bound)
        {
            ulong threshold = (0 - bound) % bound;
            while (low < threshold) high = Math.BigMul(NextUInt64(), bound, out low);
        }
        return high;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));
}
