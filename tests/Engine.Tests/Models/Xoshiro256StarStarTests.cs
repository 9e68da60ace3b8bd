using Engine.Models.Data;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Models;

public class Xoshiro256StarStarTests
{
    [Fact]
    public void MatchesReferenceSequenceFromState1234()
    {
        // Reference outputs of xoshiro256** (Blackman & Vigna's C code) from the state {1, 2, 3, 4}.
        var rng = new Xoshiro256StarStar(new RngState(1, 2, 3, 4));

        ulong[] expected = [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360, 607988272756665600];
        Assert.Equal(expected, Enumerable.Range(0, expected.Length).Select(_ => rng.NextUInt64()));
    }

    [Fact]
    public void SeedsThroughSplitMix64()
    {
        var rng = new Xoshiro256StarStar(0);

        Assert.Equal(new RngState(0xe220a8397b1dcdafUL, 0x6e789e6aa1b965f4UL, 0x06c45d188009454fUL, 0xf88bb8a8724c81ecUL), rng.State);
        Assert.Equal(11091344671253066420UL, rng.NextUInt64());
    }

    [Fact]
    public void StateTextRoundTripsAndRejectsGarbage()
    {
        var states = Gen.Choose(0, int.MaxValue).Select(seed => new Xoshiro256StarStar((ulong)seed).State).ToArbitrary();
        Prop.ForAll(states, state => Assert.Equal(state, RngState.Parse(state.ToString()))).Check(TestSeeds.Quick());

        Assert.Throws<FormatException>(() => RngState.Parse("12-34"));
        Assert.Throws<FormatException>(() => RngState.Parse("0000000000000000-0000000000000000-0000000000000000-0000000000000000"));
        Assert.Throws<ArgumentException>(() => new Xoshiro256StarStar(default(RngState)));
    }

    [Fact]
    public void NextBelowStaysInRangeAndNextDoubleInUnitInterval()
    {
        var bounds = Gen.Choose(1, int.MaxValue).ToArbitrary();
        var rng = new Xoshiro256StarStar(5);

        Prop.ForAll(bounds, bound =>
        {
            for (int i = 0; i < 20; i++) Assert.InRange(rng.NextBelow((ulong)bound), 0UL, (ulong)bound - 1);
            Assert.InRange(rng.NextDouble(), 0.0, 1.0 - 1e-17);
        }).Check(TestSeeds.Quick());
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextBelow(0));
    }
}
