using Engine.Kernels.Devices;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Ops;

public class ReduceTests
{
    private static readonly Gen<(ReduceOp Op, int Outer, int Axis, int Inner, bool Ties, int Seed)> Cases =
        from op in Gen.Elements(Enum.GetValues<ReduceOp>())
        from outer in Gen.Elements(1, 1, 2, 3, 7)
        from axis in Gen.OneOf(Gen.Choose(1, 70), Gen.Elements(1, 255, 257, 1000))
        from inner in Gen.Elements(1, 1, 1, 2, 5, 17, 1030)
        from ties in Gen.Elements(false, false, true)
        from seed in Gen.Choose(0, int.MaxValue)
        select (op, outer, axis, inner, ties, seed);

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Reduce_matches_double_reference(string backend)
    {
        var device = Backends.Get(backend);
        foreach (var op in Enum.GetValues<ReduceOp>())
        {
            Verify(device, (op, 1, 300_001, 1, false, 1));
            Verify(device, (op, 2, 600, 100, false, 2));
        }
        Prop.ForAll(Cases.ToArbitrary(), c => Verify(device, c)).Check(TestSeeds.Quick(120));
    }

    private static void Verify(ComputeDevice device, (ReduceOp Op, int Outer, int Axis, int Inner, bool Ties, int Seed) c)
    {
        long n = (long)c.Outer * c.Axis * c.Inner;
        // Ties: few distinct values, so ArgMax must pick the first of equal maxima.
        var x = c.Ties ? DeviceData.Ints(c.Seed, n, -3, 3).Select(v => (float)v).ToArray() : DeviceData.Floats(c.Seed, n, -2f, 3f);
        using var src = device.Upload(x);
        using var dst = device.Allocate(c.Outer * c.Inner + 1);
        device.Reduce(c.Op, src, new BufferSlice(dst, 1), c.Outer, c.Axis, c.Inner);
        var bits = device.ReadInts(dst);
        Assert.Equal(0, bits[0]);
        for (int o = 0; o < c.Outer; o++)
        for (int j = 0; j < c.Inner; j++)
        {
            double sum = 0, squares = 0, max = double.NegativeInfinity, magnitude = 0;
            int argMax = 0;
            for (int a = 0; a < c.Axis; a++)
            {
                double v = x[((long)o * c.Axis + a) * c.Inner + j];
                sum += v;
                squares += v * v;
                magnitude += Math.Abs(v);
                if (v > max) { max = v; argMax = a; }
            }
            int at = 1 + o * c.Inner + j;
            string where = $"{c.Op} of [{c.Outer}, {c.Axis}, {c.Inner}] at ({o}, {j})";
            float value = BitConverter.Int32BitsToSingle(bits[at]);
            switch (c.Op)
            {
                case ReduceOp.ArgMax: Assert.True(argMax == bits[at], $"{where}: index {bits[at]}, expected {argMax}"); break;
                case ReduceOp.Max: Assert.True((float)max == value, $"{where}: {value}, expected {max}"); break;
                case ReduceOp.Sum: Close.Check(sum, value, magnitude, where, relative: 1e-6); break;
                case ReduceOp.Mean: Close.Check(sum / c.Axis, value, magnitude / c.Axis, where, relative: 1e-6); break;
                case ReduceOp.SumSquares: Close.Check(squares, value, squares, where, relative: 1e-6); break;
            }
        }
    }
}
