using Engine.Kernels.Devices;
using Engine.Kernels.Profiling;
using Engine.Tests.Ops;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Profiling;

/// <summary>Every op of the cpu backend leaves one record while the profiler is on, with its traffic and flops.</summary>
[Collection(ProfilerCollection.Name)]
public sealed class CpuOpRecordTests
{
    [Fact]
    public void EachOpRecordsItsNameBytesAndFlopsInCallOrder()
    {
        var device = Backends.Get("cpu");
        var shapes = Gen.Choose(1, 37).SelectMany(r => Gen.Choose(1, 70).SelectMany(c => Gen.Choose(1, 19).Select(k => (r, c, k))));
        Prop.ForAll(shapes.ToArbitrary(), shape =>
        {
            var (rows, cols, k) = shape;
            long rc = (long)rows * cols;
            var expected = new List<(string Kernel, long Elements, double Flops)>();
            using var x = device.Upload(DeviceData.Floats(1, rc));
            using var y = device.Allocate(rc);
            using var a = device.Upload(DeviceData.Floats(2, (long)rows * k));
            using var b = device.Upload(DeviceData.Floats(3, (long)k * cols));
            using var stats = device.Allocate(2L * rows);
            using var gamma = device.Upload(DeviceData.Floats(4, cols));
            using var targets = device.Upload(Enumerable.Range(0, rows).Select(i => i % cols).ToArray());
            var records = Profiled.Run(device, () =>
            {
                device.Fill(y, rc, 1f);
                expected.Add(("fill", rc, 0));
                device.Arange(y, rc, 0f, 0.5f);
                expected.Add(("arange", rc, 2.0 * rc));
                device.FillRandom(y, rc, 7, RandomDistribution.Normal, 0f, 1f);
                expected.Add(("random_normal", rc, 0));
                device.Copy(new StridedSlice(x, 0, [cols, rows], [1, cols]), new StridedSlice(y, 0, [cols, rows], [rows, 1]));
                expected.Add(("copy", 2 * rc, 0));
                device.Gemm(GemmSpec.Contiguous(1, rows, cols, k), a, b, y);
                expected.Add(("gemm", (long)rows * k + (long)k * cols + rc, 2.0 * rows * cols * k));
                device.Reduce(ReduceOp.SumSquares, x, stats, rows, cols, 1);
                expected.Add(("reduce_sum_squares", rc + rows, rc));
                device.Softmax(x, y, rows, cols, log: true);
                expected.Add(("log_softmax", 2 * rc, 4.0 * rc));
                device.LayerNorm(x, gamma, gamma, y, stats, new BufferSlice(stats, rows), rows, cols, 1e-5f);
                expected.Add(("layernorm", 2 * rc + 2 * cols + 2 * rows, 7.0 * rc));
                device.Gather(x, targets, y, rows, 1);
                expected.Add(("gather", rows + 2L * rows, 0));
                device.ScatterAdd(x, targets, y, rows, 1);
                expected.Add(("scatter_add", rows + 3L * rows, rows));
                device.CrossEntropy(x, targets, stats, rows, cols);
                expected.Add(("cross_entropy", rc + 2L * rows, 3.0 * rc));
            });

            Assert.Equal(expected.Select(e => e.Kernel), records.Select(r => r.Kernel));
            for (int i = 0; i < records.Length; i++)
            {
                var (kernel, elements, flops) = expected[i];
                Assert.True(records[i].Work.Bytes == 4 * elements, $"{kernel} [{rows}x{cols}, k {k}]: {records[i].Work.Bytes} bytes, expected {4 * elements}");
                Assert.True(records[i].Work.Flops == flops, $"{kernel} [{rows}x{cols}, k {k}]: {records[i].Work.Flops} flops, expected {flops}");
                Assert.True(records[i].DurationNs >= 0, $"{kernel}: duration {records[i].DurationNs}");
                // Ops run one after another on the calling thread, so each starts after the previous one ended.
                long earliest = i == 0 ? 0 : records[i - 1].StartNs + records[i - 1].DurationNs;
                Assert.True(records[i].StartNs >= earliest, $"{kernel}: starts at {records[i].StartNs} ns, before {earliest}");
            }
        }).Check(TestSeeds.Quick(20));
    }

    [Fact]
    public void OffMeansNoRecordsAndEmptyOpsRecordNothing()
    {
        var device = Backends.Get("cpu");
        using var x = device.Upload(DeviceData.Floats(1, 64));
        using var y = device.Allocate(64);
        KernelProfiler.Reset();
        Assert.False(KernelProfiler.Enabled);
        device.Fill(y, 64, 1f);
        device.Softmax(x, y, 8, 8, log: false);
        device.Gemm(GemmSpec.Contiguous(1, 8, 8, 8), x, x, y);
        Assert.Empty(KernelProfiler.Records);

        // A GEMM with no rows has no kernel to time.
        var records = Profiled.Run(device, () => device.Gemm(GemmSpec.Contiguous(1, 0, 8, 8), x, x, y));
        Assert.Empty(records);
    }
}
