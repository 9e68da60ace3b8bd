using Engine.Kernels.Devices;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Ops;

public class SparseMatMulTests
{
    private static readonly Gen<(int Batch, int Rows, int Inner, int Cols, int Seed)> Cases =
        from batch in Gen.OneOf(Gen.Choose(0, 3), Gen.Constant(7))
        from rows in Gen.OneOf(Gen.Choose(1, 12), Gen.Elements(65, 130, 257, 520))
        from inner in Gen.OneOf(Gen.Choose(1, 12), Gen.Elements(64, 129))
        from cols in Gen.OneOf(Gen.Choose(0, 20), Gen.Elements(63, 1023, 1025, 2100))
        from seed in Gen.Choose(0, int.MaxValue)
        select (batch, rows, inner, cols, seed);

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void EachRowSumsItsEntriesTimesTheRowsOfXTheyName(string backend)
    {
        var device = Backends.Get(backend);
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var rng = new Random(c.Seed);
            // Rows of 0 to 6 entries (empty rows, repeated columns), each matrix with room to spare after its last entry;
            // 257 and 520 rows cross the cpu's 256-row tasks.
            int capacity = c.Rows * 6 + 3;
            var starts = new int[c.Batch * (c.Rows + 1)];
            var columns = new int[c.Batch * capacity];
            var values = DeviceData.Floats(c.Seed + 1, (long)c.Batch * capacity);
            for (int b = 0; b < c.Batch; b++)
                for (int r = 0; r < c.Rows; r++)
                {
                    int from = starts[b * (c.Rows + 1) + r], count = rng.Next(7);
                    for (int p = from; p < from + count; p++) columns[b * capacity + p] = rng.Next(c.Inner);
                    starts[b * (c.Rows + 1) + r + 1] = from + count;
                }
            var x = DeviceData.Floats(c.Seed + 2, (long)c.Batch * c.Inner * c.Cols);
            // Every operand at an offset of its buffer, as the views of a batch (SparseLaplacian.At) pass them.
            const int outputOffset = 2;
            using var ds = device.Upload(After(1, -1, starts));
            using var dc = device.Upload(After(3, -1, columns));
            using var dv = device.Upload(After(1, float.NaN, values));
            using var dx = device.Upload(After(2, float.NaN, x));
            using var dy = device.Upload(Enumerable.Repeat(7f, outputOffset + c.Batch * c.Rows * c.Cols + 1).ToArray());
            device.SparseMatMul(new SparseMatMulSpec(c.Batch, c.Rows, c.Inner, c.Cols, capacity), new BufferSlice(ds, 1), new BufferSlice(dc, 3),
                                new BufferSlice(dv, 1), new BufferSlice(dx, 2), new BufferSlice(dy, outputOffset));
            var y = device.ReadFloats(dy);
            for (int b = 0; b < c.Batch; b++)
                for (int r = 0; r < c.Rows; r++)
                    for (int j = 0; j < c.Cols; j++)
                    {
                        double expected = 0, magnitude = 0;
                        for (int p = starts[b * (c.Rows + 1) + r]; p < starts[b * (c.Rows + 1) + r + 1]; p++)
                        {
                            double term = (double)values[b * capacity + p] * x[((long)b * c.Inner + columns[b * capacity + p]) * c.Cols + j];
                            expected += term;
                            magnitude += Math.Abs(term);
                        }
                        float actual = y[outputOffset + ((long)b * c.Rows + r) * c.Cols + j];
                        if (Math.Abs(actual - expected) > 8 * 6e-8 * magnitude + 1e-30)
                            Assert.Fail($"{backend} {c}: y[{b}, {r}, {j}] = {actual}, expected {expected}");
                    }
            Assert.Equal(7f, y[0]);
            Assert.Equal(7f, y[^1]);
            return true;
        }).Check(TestSeeds.Quick(40));
    }

    /// <summary><paramref name="data"/> behind <paramref name="count"/> values that must never be read.</summary>
    private static T[] After<T>(int count, T fill, T[] data) => [.. Enumerable.Repeat(fill, count), .. data];

    [Fact]
    public void TheCpuRefusesEntriesOutsideTheRoomOrTheRowsOfX()
    {
        var device = Backends.Get("cpu");
        var spec = new SparseMatMulSpec(1, 2, 3, 4, 3);
        using var x = device.Allocate(12);
        using var y = device.Allocate(8);
        using var values = device.Upload(new float[3]);
        using (var starts = device.Upload(new[] { 0, 2, 4 }))
        using (var columns = device.Upload(new[] { 0, 1, 2 }))
            Assert.Contains("row 1 ends at 4", Assert.Throws<ArgumentException>(() => device.SparseMatMul(spec, starts, columns, values, x, y)).Message);
        using (var starts = device.Upload(new[] { 0, 2, 3 }))
        using (var columns = device.Upload(new[] { 0, 3, 2 }))
            Assert.Contains("entry 1 has column 3, outside [0, 3)", Assert.Throws<ArgumentException>(() => device.SparseMatMul(spec, starts, columns, values, x, y)).Message);
    }
}
