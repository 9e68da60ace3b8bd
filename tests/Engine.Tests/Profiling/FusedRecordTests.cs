using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;
using Engine.Kernels.Profiling;
using Engine.Tests.Ops;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Profiling;

/// <summary>Fused programs record each phase, with the bytes it moves, on every backend.</summary>
[Collection(ProfilerCollection.Name)]
public sealed class FusedRecordTests
{
    /// <summary>out_o = (o + 1) · Σ inputs: every input read, every output written.</summary>
    private static FusedProgram SumProgram(int inputs, int outputs)
    {
        var f = new FusionBuilder($"profiled_sum_{inputs}_{outputs}");
        var sum = f.Input("x0");
        for (int i = 1; i < inputs; i++) sum += f.Input($"x{i}");
        for (int o = 0; o < outputs; o++) f.Output($"y{o}", sum * (o + 2f));
        return f.Build();
    }

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void MapPhaseMovesInputsPlusOutputsTimesFourBytesPerElement(string backend)
    {
        var device = Backends.Get(backend);
        var cases = Gen.Choose(1, 3000).SelectMany(n => Gen.Choose(1, 3).SelectMany(k => Gen.Choose(1, 2).Select(m => (n, k, m))));
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (n, inputs, outputs) = c;
            var program = SumProgram(inputs, outputs);
            var ins = Enumerable.Range(0, inputs).Select(i => device.Upload(DeviceData.Floats(i, n))).ToArray();
            var outs = Enumerable.Range(0, outputs).Select(_ => device.Allocate(n)).ToArray();
            try
            {
                var launch = new FusedLaunch([n], ins.Select(b => new StridedSlice(b, 0, [n], [1])).ToArray(),
                                             outs.Select(b => new BufferSlice(b, 0)).ToArray(), []);
                var record = Assert.Single(Profiled.Run(device, () => device.RunFused(program, launch)));
                Assert.Equal(program.ProfileName, record.Kernel);
                Assert.True(record.Work.Bytes == (inputs + outputs) * 4L * n,
                    $"{backend}, {inputs} inputs, {outputs} outputs, {n} elements: {record.Work.Bytes} bytes");
                Assert.True(record.DurationNs >= 0 && record.StartNs >= 0, $"start {record.StartNs}, duration {record.DurationNs}");
            }
            finally
            {
                foreach (var b in ins.Concat(outs)) b.Dispose();
            }
        }).Check(TestSeeds.Quick(12));
    }

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void BroadcastInputCountsEachDistinctElementOnce(string backend)
    {
        var device = Backends.Get(backend);
        var f = new FusionBuilder("profiled_row_bias");
        f.Output("y", f.Input("x") + f.Input("bias"));
        var program = f.Build();
        const int rows = 37, cols = 53;
        using var x = device.Upload(DeviceData.Floats(1, rows * cols));
        using var bias = device.Upload(DeviceData.Floats(2, cols));
        using var y = device.Allocate(rows * cols);
        var launch = new FusedLaunch([rows, cols], [new StridedSlice(x, 0, [rows, cols], [cols, 1]), new StridedSlice(bias, 0, [rows, cols], [0, 1])],
                                     [new BufferSlice(y, 0)], []);
        var record = Assert.Single(Profiled.Run(device, () => device.RunFused(program, launch)));
        Assert.Equal(4L * (rows * cols + cols + rows * cols), record.Work.Bytes);
        Assert.Equal((double)rows * cols, record.Work.Flops);
    }

    /// <summary>
    /// out = x + gate(k, y): y's bytes count only while k ≠ 0. A scalar k is known on every backend; a k in device memory
    /// (one broadcast element) is read on the cpu, and counted as on elsewhere (the profiler does not wait for a read back).
    /// </summary>
    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void AGateThatIsOffDoesNotCountItsTermsBytes(string backend)
    {
        var device = Backends.Get(backend);
        const int n = 1000;
        using var x = device.Upload(DeviceData.Floats(1, n));
        using var y = device.Upload(DeviceData.Floats(2, n));
        using var output = device.Allocate(n);
        var byScalar = new FusionBuilder("profiled_gate_scalar");
        byScalar.Output("out", byScalar.Input("x") + Fx.Gate(byScalar.Scalar("k"), byScalar.Input("y")));
        var scalarProgram = byScalar.Build();
        var byInput = new FusionBuilder("profiled_gate_input");
        byInput.Output("out", byInput.Input("x") + Fx.Gate(byInput.Input("k"), byInput.Input("y")));
        var inputProgram = byInput.Build();
        StridedSlice Dense(Engine.Kernels.Devices.DeviceBuffer b) => new(b, 0, [n], [1]);

        foreach (var k in new[] { 0f, 2f })
        {
            long expected = 4L * (k == 0 ? 2 * n : 3 * n);
            var launch = new FusedLaunch([n], [Dense(x), Dense(y)], [new BufferSlice(output, 0)], [k]);
            var record = Assert.Single(Profiled.Run(device, () => device.RunFused(scalarProgram, launch)));
            Assert.True(record.Work.Bytes == expected, $"{backend}, scalar k = {k}: {record.Work.Bytes} bytes, expected {expected}");

            using var kBuffer = device.Upload([k]);
            var inputLaunch = new FusedLaunch([n], [Dense(x), new StridedSlice(kBuffer, 0, [n], [0]), Dense(y)], [new BufferSlice(output, 0)], []);
            record = Assert.Single(Profiled.Run(device, () => device.RunFused(inputProgram, inputLaunch)));
            long expectedInput = (device.Kind == DeviceKind.Cpu ? expected : 4L * 3 * n) + 4;
            Assert.True(record.Work.Bytes == expectedInput, $"{backend}, k in device memory = {k}: {record.Work.Bytes} bytes, expected {expectedInput}");
        }
    }

    /// <summary>
    /// What the kernels skip, counted from the same scopes: x, read by two gates' terms, is evaluated outside both and so
    /// read even when both are off; a gate that is also an output skips its own term while inside another gate's.
    /// </summary>
    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void SharedAndReusedGateTermsCountAsTheKernelsReadThem(string backend)
    {
        var device = Backends.Get(backend);
        const int n = 1000;
        using var x = device.Upload(DeviceData.Floats(1, n));
        using var y = device.Upload(DeviceData.Floats(2, n));
        using var out0 = device.Allocate(n);
        using var out1 = device.Allocate(n);
        StridedSlice Dense(Engine.Kernels.Devices.DeviceBuffer b) => new(b, 0, [n], [1]);

        var two = new FusionBuilder("profiled_gate_two");
        var tx = two.Input("x");
        two.Output("out", Fx.Gate(two.Scalar("k1"), tx * 2f) + Fx.Gate(two.Scalar("k2"), tx * 3f));
        var twoProgram = two.Build();
        var record = Assert.Single(Profiled.Run(device, () =>
            device.RunFused(twoProgram, new FusedLaunch([n], [Dense(x)], [new BufferSlice(out0, 0)], [0f, 0f]))));
        Assert.Equal(4L * 2 * n, record.Work.Bytes);

        var reused = new FusionBuilder("profiled_gate_reused");
        var inner = Fx.Gate(reused.Scalar("k"), reused.Input("x") * 2f);
        reused.Output("inner", inner);
        reused.Output("outer", Fx.Gate(reused.Scalar("k2"), inner + reused.Input("y")));
        var reusedProgram = reused.Build();
        foreach (var (k, k2, inputsRead) in new[] { (0f, 0f, 0), (0f, 1f, 1), (1f, 0f, 1), (1f, 1f, 2) })
        {
            var launch = new FusedLaunch([n], [Dense(x), Dense(y)], [new BufferSlice(out0, 0), new BufferSlice(out1, 0)], [k, k2]);
            record = Assert.Single(Profiled.Run(device, () => device.RunFused(reusedProgram, launch)));
            Assert.True(record.Work.Bytes == 4L * (2 + inputsRead) * n, $"{backend}, k = {k}, k2 = {k2}: {record.Work.Bytes} bytes");
        }
    }

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void ReductionPhasesRecordBeforeTheMapPhase(string backend)
    {
        var device = Backends.Get(backend);
        var f = new FusionBuilder("profiled_centre");
        var x = f.Input("x");
        f.Output("y", x - Fx.Sum(x * x));
        var program = f.Build();
        const int n = 4099;
        using var input = device.Upload(DeviceData.Floats(1, n));
        using var output = device.Allocate(n);
        var launch = new FusedLaunch([n], [new StridedSlice(input, 0, [n], [1])], [new BufferSlice(output, 0)], []);
        var records = Profiled.Run(device, () => device.RunFused(program, launch));

        var reduce = Assert.Single(records, r => r.Kernel == program.ReduceProfileName(1));
        Assert.Equal(4L * (n + 1), reduce.Work.Bytes); // x read once, one sum written
        Assert.Equal(2.0 * n, reduce.Work.Flops);      // x·x and the accumulation
        var map = Assert.Single(records, r => r.Kernel == program.ProfileName);
        Assert.Equal(4L * 2 * n, map.Work.Bytes);
        Assert.Equal((double)n, map.Work.Flops);       // the subtraction; the sum is a known value here
        Assert.True(reduce.StartNs + reduce.DurationNs <= map.StartNs, $"reduce ends at {reduce.StartNs + reduce.DurationNs}, map starts at {map.StartNs}");
        // GPU backends fold the reduce phase's partial sums in a kernel of their own.
        var expected = device.Kind == DeviceKind.Cpu ? 2 : 3;
        Assert.Equal(expected, records.Length);
        if (expected == 3) Assert.Single(records, r => r.Kernel == program.FinalizeProfileName(1));
    }

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void NothingIsRecordedWhileTheProfilerIsOff(string backend)
    {
        var device = Backends.Get(backend);
        var program = SumProgram(2, 1);
        using var a = device.Upload(DeviceData.Floats(1, 100));
        using var y = device.Allocate(100);
        KernelProfiler.Reset();
        Assert.False(KernelProfiler.Enabled);
        device.RunFused(program, new FusedLaunch([100], [new StridedSlice(a, 0, [100], [1]), new StridedSlice(a, 0, [100], [1])], [y], []));
        device.Softmax(a, y, 10, 10, log: false);
        device.Synchronize();
        Assert.Empty(KernelProfiler.Records);
    }

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void ConsecutiveLaunchesGetIncreasingStartsOnTheProfilerClock(string backend)
    {
        var device = Backends.Get(backend);
        var program = SumProgram(1, 1);
        using var a = device.Upload(DeviceData.Floats(1, 5000));
        using var y = device.Allocate(5000);
        var launch = new FusedLaunch([5000], [new StridedSlice(a, 0, [5000], [1])], [y], []);
        var records = Profiled.Run(device, () =>
        {
            for (int i = 0; i < 4; i++) device.RunFused(program, launch);
        });
        Assert.Equal(4, records.Length);
        Assert.True(records[0].StartNs >= 0, $"first start {records[0].StartNs} ns");
        for (int i = 1; i < records.Length; i++)
            Assert.True(records[i].StartNs >= records[i - 1].StartNs + records[i - 1].DurationNs,
                $"launch {i} starts at {records[i].StartNs} ns, launch {i - 1} ends at {records[i - 1].StartNs + records[i - 1].DurationNs} ns");
    }
}
