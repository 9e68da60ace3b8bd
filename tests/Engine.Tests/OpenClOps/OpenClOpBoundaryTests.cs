using Engine.Kernels.Devices;
using Engine.Kernels.Random;
using Engine.Tests.OpenCl;
using Engine.Tests.Ops;
using Xunit;
using Xunit.Abstractions;

namespace Engine.Tests.OpenClOps;

/// <summary>
/// What the shared op tests do not pin down for the OpenCL kernels: extents at the work-group size (256) and
/// the reduce column block (32), bit-exact uniform randoms, NaN handling of Max/ArgMax, the multi-group index
/// check, and the order of accumulation of scatter-add.
/// </summary>
[Collection("OpenCl")]
public sealed class OpenClOpBoundaryTests(OpenClFixture fixture, ITestOutputHelper output)
{
    private static readonly int[] AroundGroup = [1, 31, 32, 33, 255, 256, 257, 600];

    [Fact]
    public void Uniform_fill_is_bit_identical_to_the_philox_spec()
    {
        if (fixture.Require(output) is not { } device) return;
        foreach (int count in new[] { 1, 255, 256, 257, 70_001 })
        foreach (var (seed, a, b) in new[] { (0UL, 0f, 1f), (0xDEADBEEF12345678UL, -0.37f, 2.9f), (42UL, 3f, -1.5f) })
        {
            using var buffer = device.Allocate(count + 3);
            device.FillRandom(new BufferSlice(buffer, 3), count, seed, RandomDistribution.Uniform, a, b);
            var values = device.ReadFloats(buffer, 3);
            for (int i = 0; i < count; i++)
            {
                float expected = Philox.Uniform(seed, (ulong)i, a, b);
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(values[i]),
                    $"uniform seed {seed} [{a}, {b}) element {i} of {count}: {values[i]:R}, expected {expected:R}");
            }
        }
    }

    [Fact]
    public void Row_ops_match_double_references_around_the_work_group_size()
    {
        if (fixture.Require(output) is not { } device) return;
        const int rows = 3;
        foreach (int cols in AroundGroup)
        {
            var x = DeviceData.Floats(cols, (long)rows * cols, -4f, 4f);
            var gamma = DeviceData.Floats(cols + 1, cols, 0.5f, 1.5f);
            var beta = DeviceData.Floats(cols + 2, cols, -1f, 1f);
            var targets = DeviceData.Ints(cols + 3, rows, 0, cols);
            using var dx = device.Upload(x);
            using var dg = device.Upload(gamma);
            using var db = device.Upload(beta);
            using var dt = device.Upload(targets);
            using var dy = device.Allocate((long)rows * cols);
            using var stats = device.Allocate(2 * rows);

            for (int r = 0; r < rows; r++)
            {
                var row = x.AsSpan(r * cols, cols).ToArray().Select(v => (double)v).ToArray();
                double max = row.Max(), sum = row.Sum(v => Math.Exp(v - max)), logSum = max + Math.Log(sum);
                double mean = row.Average(), variance = row.Average(v => (v - mean) * (v - mean));
                double rstd = 1 / Math.Sqrt(variance + 1e-5);

                device.Softmax(dx, dy, rows, cols, log: false);
                var y = device.ReadFloats(dy, (long)r * cols, cols);
                for (int j = 0; j < cols; j++)
                    Close.Check(Math.Exp(row[j] - logSum), y[j], Math.Exp(row[j] - logSum), () => $"softmax cols {cols} [{r}, {j}]");

                device.Softmax(dx, dy, rows, cols, log: true);
                y = device.ReadFloats(dy, (long)r * cols, cols);
                for (int j = 0; j < cols; j++)
                    Close.Check(row[j] - logSum, y[j], Math.Abs(max) + Math.Log(cols) + 1, () => $"log-softmax cols {cols} [{r}, {j}]");

                device.LayerNorm(dx, dg, db, dy, new BufferSlice(stats, 0), new BufferSlice(stats, rows), rows, cols, 1e-5f);
                y = device.ReadFloats(dy, (long)r * cols, cols);
                for (int j = 0; j < cols; j++)
                {
                    double expected = (row[j] - mean) * rstd * gamma[j] + beta[j];
                    Close.Check(expected, y[j], Math.Abs((row[j] - mean) * rstd * gamma[j]) + Math.Abs(beta[j]) + 1,
                                () => $"layernorm cols {cols} [{r}, {j}]");
                }
                var s = device.ReadFloats(stats);
                Close.Check(mean, s[r], 4, () => $"layernorm mean cols {cols} row {r}");
                Close.Check(rstd, s[rows + r], rstd, () => $"layernorm rstd cols {cols} row {r}", relative: 1e-4);

                device.CrossEntropy(dx, dt, dy, rows, cols);
                var loss = device.ReadFloats(dy, r, 1)[0];
                Close.Check(logSum - row[targets[r]], loss, Math.Abs(logSum) + Math.Abs(row[targets[r]]),
                            () => $"cross-entropy cols {cols} row {r}");
            }
        }
    }

    [Fact]
    public void Reductions_match_double_references_around_group_and_column_blocks()
    {
        if (fixture.Require(output) is not { } device) return;
        foreach (int axis in new[] { 64, 65, 255, 256, 257 })
        foreach (int inner in new[] { 1, 31, 32, 33 })
        {
            const int outer = 2;
            var x = DeviceData.Floats(axis * 100 + inner, (long)outer * axis * inner, -2f, 3f);
            using var src = device.Upload(x);
            using var dst = device.Allocate(outer * inner);
            foreach (var op in Enum.GetValues<ReduceOp>())
            {
                device.Reduce(op, src, dst, outer, axis, inner);
                var result = device.ReadFloats(dst);
                var indices = device.ReadInts(dst);
                for (int o = 0; o < outer; o++)
                for (int j = 0; j < inner; j++)
                {
                    var column = Enumerable.Range(0, axis).Select(a => (double)x[((long)o * axis + a) * inner + j]).ToArray();
                    int at = o * inner + j;
                    string where = $"{op} of [{outer}, {axis}, {inner}] at ({o}, {j})";
                    double magnitude = column.Sum(Math.Abs);
                    switch (op)
                    {
                        case ReduceOp.Sum: Close.Check(column.Sum(), result[at], magnitude, () => where, relative: 1e-6); break;
                        case ReduceOp.Mean: Close.Check(column.Average(), result[at], magnitude / axis, () => where, relative: 1e-6); break;
                        case ReduceOp.SumSquares:
                            Close.Check(column.Sum(v => v * v), result[at], column.Sum(v => v * v), () => where, relative: 1e-6); break;
                        case ReduceOp.Max: Assert.True(column.Max() == result[at], $"{where}: {result[at]}, expected {column.Max()}"); break;
                        case ReduceOp.ArgMax:
                            int expected = Array.IndexOf(column, column.Max());
                            Assert.True(expected == indices[at], $"{where}: index {indices[at]}, expected {expected}");
                            break;
                    }
                }
            }
        }
    }

    [Fact]
    public void Max_propagates_nan_and_argmax_points_at_the_first_nan()
    {
        if (fixture.Require(output) is not { } device) return;
        foreach (int axis in new[] { 7, 300 })
        {
            var x = DeviceData.Floats(axis, 2L * axis, -1f, 1f);
            x[axis / 2] = float.NaN;
            x[axis - 1] = float.NaN;
            using var src = device.Upload(x);
            using var dst = device.Allocate(2);
            device.Reduce(ReduceOp.Max, src, dst, 2, axis, 1);
            var max = device.ReadFloats(dst);
            Assert.True(float.IsNaN(max[0]), $"max over a row of {axis} holding NaN gave {max[0]}");
            Assert.Equal(x.Skip(axis).Max(), max[1]);
            device.Reduce(ReduceOp.ArgMax, src, dst, 2, axis, 1);
            Assert.Equal(axis / 2, device.ReadInts(dst)[0]);
        }
    }

    [Fact]
    public void Index_check_reports_the_first_bad_index_across_work_groups_and_writes_nothing()
    {
        if (fixture.Require(output) is not { } device) return;
        const int count = 200_000, dim = 3, rows = 50;
        var indices = DeviceData.Ints(1, count, 0, rows);
        indices[199_999] = -1;
        indices[150_001] = rows;
        indices[70_003] = rows + 7;
        using var table = device.Upload(DeviceData.Floats(2, (long)rows * dim));
        using var src = device.Upload(DeviceData.Floats(3, (long)count * dim));
        using var dIndices = device.Upload(indices);
        var before = device.ReadFloats(table);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => device.ScatterAdd(src, dIndices, table, count, dim));
        Assert.Contains($"indices[70003] = {rows + 7}", error.Message);
        Assert.Contains($"< {rows}", error.Message);
        Assert.Equal(before, device.ReadFloats(table));
    }

    [Fact]
    public void ScatterAdd_accumulates_repeated_rows_in_index_order()
    {
        if (fixture.Require(output) is not { } device) return;
        foreach (int dim in new[] { 1, 255, 257 })
        {
            const int count = 300, rows = 4;
            var indices = DeviceData.Ints(dim, count, 0, rows);
            var src = DeviceData.Floats(dim + 1, (long)count * dim, -1e3f, 1e3f);
            var table = DeviceData.Floats(dim + 2, (long)rows * dim);
            // The kernel adds rows i = 0, 1, ... in order, so fp32 sums in that order are reproduced exactly.
            var expected = (float[])table.Clone();
            for (int i = 0; i < count; i++)
                for (int c = 0; c < dim; c++)
                    expected[indices[i] * dim + c] += src[i * dim + c];
            using var dTable = device.Upload(table);
            using var dIndices = device.Upload(indices);
            using var dSrc = device.Upload(src);
            device.ScatterAdd(dSrc, dIndices, dTable, count, dim);
            Assert.Equal(expected, device.ReadFloats(dTable));
        }
    }
}
