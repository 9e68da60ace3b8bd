using Engine.Kernels.Devices;
using Engine.Kernels.Random;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Ops;

public class RandomTests
{
    /// <summary>Known-answer vectors published with Random123 (kat_vectors, philox4x32_10).</summary>
    [Theory]
    [InlineData(0u, 0u, 0u, 0u, 0u, 0u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu,
                0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u,
                0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void Philox_matches_published_known_answers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1,
                                                       uint x0, uint x1, uint x2, uint x3)
    {
        Assert.Equal((x0, x1, x2, x3), Philox.Block(c0, c1, c2, c3, k0, k1));
    }

    /// <summary>
    /// Each element equals the documented formula for (seed, index), independently of count and offset, so every
    /// backend fills identically; and the values have the requested distribution.
    /// </summary>
    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void FillRandom_follows_the_philox_spec(string backend)
    {
        var device = Backends.Get(backend);
        var cases = from count in Gen.OneOf(Gen.Choose(1, 50), Gen.Choose(1, 20000))
                    from seed in Gen.Elements(0UL, 1UL, 42UL, 0xDEADBEEF12345678UL)
                    from normal in ArbMap.Default.GeneratorFor<bool>()
                    from a in Gen.Elements(0f, -1f, 3f)
                    from b in Gen.Elements(1f, 0.02f, 5f)
                    select (count, seed, normal, a, b);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            using var buffer = device.Allocate(c.count + 1);
            var kind = c.normal ? RandomDistribution.Normal : RandomDistribution.Uniform;
            device.FillRandom(new BufferSlice(buffer, 1), c.count, c.seed, kind, c.a, c.b);
            var values = device.ReadFloats(buffer, 1);
            for (int i = 0; i < c.count; i++)
            {
                float expected = c.normal ? Philox.Normal(c.seed, (ulong)i, c.a, c.b) : Philox.Uniform(c.seed, (ulong)i, c.a, c.b);
                Close.Check(expected, values[i], Math.Abs(c.a) + Math.Abs(c.b) * 8, $"{kind} seed {c.seed} element {i}",
                            relative: 1e-6, absolute: 0);
                if (!c.normal) Assert.InRange(values[i], Math.Min(c.a, c.b), Math.Max(c.a, c.b));
            }
        }).Check(TestSeeds.Quick(30));

        const int n = 200_000;
        using var sample = device.Allocate(n);
        device.FillRandom(sample, n, 7, RandomDistribution.Normal, 1f, 2f);
        var z = device.ReadFloats(sample);
        double mean = z.Average(v => (double)v), std = Math.Sqrt(z.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, 1 - 0.02, 1 + 0.02);
        Assert.InRange(std, 2 - 0.02, 2 + 0.02);
        device.FillRandom(sample, n, 7, RandomDistribution.Uniform, -1f, 1f);
        var u = device.ReadFloats(sample);
        Assert.InRange(u.Average(v => (double)v), -0.01, 0.01);
        Assert.InRange(u.Average(v => (double)v * v), 1.0 / 3 - 0.01, 1.0 / 3 + 0.01);
    }
}
