using Engine.Kernels.Devices;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Ops;

public class CopyTests
{
    /// <summary>A copy between two layouts of one shape: each view is a permuted dense layout, possibly broadcast (src).</summary>
    public sealed record Case(long[] Shape, int[] SrcOrder, int[] DstOrder, bool[] Broadcast, bool ReverseFirst, int Seed)
    {
        public override string ToString() =>
            $"shape [{string.Join(",", Shape)}] src order [{string.Join(",", SrcOrder)}] dst order [{string.Join(",", DstOrder)}] " +
            $"broadcast [{string.Join(",", Broadcast)}] reverse {ReverseFirst} seed {Seed}";
    }

    private static Gen<int[]> Permutation(int rank) =>
        Gen.Choose(0, int.MaxValue).Select(seed =>
        {
            var order = Enumerable.Range(0, rank).ToArray();
            new System.Random(seed).Shuffle(order);
            return order;
        });

    private static readonly Gen<Case> Cases =
        from rank in Gen.Frequency((1, Gen.Constant(0)), (6, Gen.Choose(1, 4)), (2, Gen.Choose(5, 8)))
        from shape in Gen.ArrayOf(Gen.Elements(1L, 1L, 2L, 3L, 5L, 7L), rank)
        from wide in Gen.Elements(1L, 17L, 33L, 100L)
        from srcOrder in Permutation(rank)
        from dstOrder in Permutation(rank)
        from broadcast in Gen.ArrayOf(Gen.Elements(false, false, false, true), rank)
        from reverse in ArbMap.Default.GeneratorFor<bool>()
        from seed in Gen.Choose(0, int.MaxValue)
        select new Case(rank > 0 ? shape.Select((d, i) => i == rank - 1 ? d * wide : d).ToArray() : shape,
                        srcOrder, dstOrder, broadcast, reverse, seed);

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Copy_moves_every_element_between_strided_views(string backend)
    {
        var device = Backends.Get(backend);
        Verify(device, new Case([1 << 17], [0], [0], [false], false, 1));
        Verify(device, new Case([300, 513], [1, 0], [0, 1], [false, false], false, 2));
        Prop.ForAll(Cases.ToArbitrary(), c => Verify(device, c)).Check(TestSeeds.Quick(100));
    }

    /// <summary>Strides of a dense layout whose dimensions are stored in <paramref name="order"/> (outermost first).</summary>
    private static long[] Strides(long[] shape, int[] order, bool[]? broadcast, out long size)
    {
        var strides = new long[shape.Length];
        size = 1;
        for (int i = order.Length - 1; i >= 0; i--)
        {
            int d = order[i];
            if (broadcast != null && broadcast[d]) continue;
            strides[d] = size;
            size *= shape[d];
        }
        return strides;
    }

    private static void Verify(ComputeDevice device, Case c)
    {
        const int srcOffset = 3, dstOffset = 2;
        var srcStrides = Strides(c.Shape, c.SrcOrder, c.Broadcast, out long srcSize);
        var dstStrides = Strides(c.Shape, c.DstOrder, null, out long dstSize);
        long srcStart = srcOffset;
        if (c.ReverseFirst && c.Shape.Length > 0 && srcStrides[0] != 0)
        {
            // Walk the first dimension backwards: start at its last slice with a negative stride.
            srcStart += (c.Shape[0] - 1) * srcStrides[0];
            srcStrides[0] = -srcStrides[0];
        }
        var src = DeviceData.Floats(c.Seed, srcOffset + srcSize + 1);
        var dst0 = DeviceData.Floats(c.Seed + 1, dstOffset + dstSize + 1);
        using var ds = device.Upload(src);
        using var dd = device.Upload(dst0);
        device.Copy(new StridedSlice(ds, srcStart, c.Shape, srcStrides), new StridedSlice(dd, dstOffset, c.Shape, dstStrides));
        var result = device.ReadFloats(dd);

        var expected = (float[])dst0.Clone();
        long count = c.Shape.Aggregate(1L, (p, d) => p * d);
        var index = new long[c.Shape.Length];
        for (long n = 0; n < count; n++)
        {
            long rest = n, s = srcStart, t = dstOffset;
            for (int d = c.Shape.Length - 1; d >= 0; d--)
            {
                index[d] = rest % c.Shape[d];
                rest /= c.Shape[d];
                s += index[d] * srcStrides[d];
                t += index[d] * dstStrides[d];
            }
            expected[t] = src[s];
        }
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(result[i]))
                Assert.Fail($"{c}: dst element {i} is {result[i]}, expected {expected[i]}");
    }
}
