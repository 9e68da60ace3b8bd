using Engine.Autograd;
using Engine.Kernels.Devices;
using Engine.Tensors;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Autograd;

/// <summary>Where generated input values lie, chosen so finite differences never straddle a kink or a tie.</summary>
internal enum Domain
{
    /// <summary>±[0.2, 2]: away from the kinks of relu/abs at 0.</summary>
    Any,

    /// <summary>[0.5, 2]: for log, sqrt, rsqrt, fractional powers, denominators.</summary>
    Positive,

    /// <summary>Odd multiples of 0.1 in [-2.1, 2.1]: never equal to (and at least 0.1 from) <see cref="EvenTenths"/>.</summary>
    OddTenths,

    /// <summary>Even multiples of 0.1 in [-2, 2].</summary>
    EvenTenths,

    /// <summary>A permutation of distinct values 0.25 apart: no ties for max.</summary>
    Distinct,

    /// <summary>Each row (last axis) a shuffle of values 0.5 apart plus small noise: no row has a tiny variance (LayerNorm).</summary>
    SpreadRows,
}

/// <summary>One op under gradient check: its inputs' domains and a function of variables.</summary>
internal sealed record GradCase(string Name, Domain[] Domains, Func<Variable[], Variable> Function);

/// <summary>Shared generators and the gradient-check driver for the autograd tests.</summary>
internal static class GradTesting
{
    public static ComputeDevice Cpu => Backends.Get("cpu");

    /// <summary>Shapes of rank 1..3 with dimensions 1..5 (odd sizes and 1 included).</summary>
    public static Gen<int[]> Shape(int minRank = 1, int maxRank = 3, int maxDim = 5) =>
        from rank in Gen.Choose(minRank, maxRank)
        from dims in Gen.ArrayOf(Gen.Choose(1, maxDim), rank)
        select dims;

    /// <summary>Two broadcast-compatible shapes: one drops leading axes and sets some axes to 1.</summary>
    public static Gen<(int[] A, int[] B)> BroadcastPair =>
        from dims in Shape()
        from drop in Gen.Choose(0, dims.Length - 1)
        from ones in Gen.ArrayOf(Gen.Elements(false, true), dims.Length)
        from swap in Gen.Elements(false, true)
        let b = dims.Skip(drop).Select((d, i) => ones[i] ? 1 : d).ToArray()
        select swap ? (b, dims) : (dims, b);

    public static Gen<int> Seed => Gen.Choose(0, int.MaxValue);

    public static long Count(int[] shape) => shape.Aggregate(1L, (a, d) => a * d);

    public static float[] Values(Random rng, int[] shape, Domain domain)
    {
        int n = (int)Count(shape);
        switch (domain)
        {
            case Domain.Distinct:
                var order = Enumerable.Range(0, n).ToArray();
                rng.Shuffle(order);
                return order.Select(k => (k - n / 2) * 0.25f + 0.05f).ToArray();
            case Domain.SpreadRows:
                int width = shape.Length == 0 ? 1 : shape[^1];
                var rows = new float[n];
                for (int start = 0; start < n; start += width)
                {
                    var ranks = Enumerable.Range(0, width).ToArray();
                    rng.Shuffle(ranks);
                    for (int k = 0; k < width; k++) rows[start + k] = (ranks[k] - (width - 1) / 2f) * 0.5f + 0.1f * rng.NextSingle();
                }
                return rows;
            case Domain.OddTenths:
                return Enumerable.Range(0, n).Select(_ => (2 * rng.Next(-11, 11) + 1) * 0.1f).ToArray();
            case Domain.EvenTenths:
                return Enumerable.Range(0, n).Select(_ => 2 * rng.Next(-10, 11) * 0.1f).ToArray();
            case Domain.Positive:
                return Enumerable.Range(0, n).Select(_ => 0.5f + 1.5f * rng.NextSingle()).ToArray();
            default:
                return Enumerable.Range(0, n).Select(_ => (rng.Next(2) == 0 ? -1f : 1f) * (0.2f + 1.8f * rng.NextSingle())).ToArray();
        }
    }

    /// <summary>Σ w·output with fixed, mixed-sign weights, so every output element's gradient matters (a plain sum would make softmax's vanish).</summary>
    public static Variable WeightedSum(Variable output)
    {
        int n = (int)output.Value.Count;
        var weights = Enumerable.Range(0, n).Select(i => MathF.Cos(1.7f * i + 0.3f)).ToArray();
        var w = new Variable(Tensor.FromArray(output.Device, weights, output.Shape.ToArray()));
        return (output * w).Sum();
    }

    /// <summary>Runs every case of a family through <see cref="GradCheck"/> on cpu with inputs of the given shapes.</summary>
    public static void Check(IEnumerable<GradCase> cases, int seed, params int[][] shapes)
    {
        foreach (var c in cases)
        {
            var rng = new Random(seed);
            var inputs = shapes.Select((s, i) => (Values(rng, s, c.Domains[Math.Min(i, c.Domains.Length - 1)]), s)).ToArray();
            var report = GradCheck.Run(Cpu, v => WeightedSum(c.Function(v)), inputs);
            Assert.True(report.Passed,
                $"{c.Name} with shapes {string.Join(" ", shapes.Select(s => "[" + string.Join(",", s) + "]"))}, seed {seed}: {report}");
        }
    }

    /// <summary>Runs a property over generated cases with the replayable test seed.</summary>
    public static void ForAll<T>(Gen<T> gen, Action<T> body, int maxTest = 30) =>
        Prop.ForAll(gen.ToArbitrary(), body).Check(TestSeeds.Quick(maxTest));
}
