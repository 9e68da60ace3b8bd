using Engine.Benchmarks;
using System.Numerics.Tensors;
using Engine.Kernels.Cpu;
using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;
using Engine.Kernels.Profiling;

namespace Engine.Bench;

/// <summary>
/// Memory-bound kernels: the STREAM triad a = b + s·c (12 bytes per element), and a 4-op chain
/// y = relu(x·w + b)·s run as one fused kernel against the same chain as four separate kernels.
/// </summary>
public static class ElementwiseSuite
{
    public const long TriadCount = 16L << 20;

    /// <summary>The same triad program <c>engine profile</c> measures.</summary>
    public static FusedProgram Triad => TriadBandwidth.Program;
    public static FusedProgram Chain { get; } = BuildChain();

    private static FusedProgram BuildChain()
    {
        var f = new FusionBuilder("bias_relu_scale");
        var x = f.Input("x"); var w = f.Input("w"); var b = f.Input("b"); var s = f.Scalar("s");
        f.Output("y", Fx.Relu(x * w + b) * s);
        return f.Build();
    }

    /// <summary>The in-process anchor: a = b + c with TensorPrimitives.Add, split in two halves over two threads.</summary>
    private static double TensorPrimitivesAdd(long n, int reps)
    {
        var a = new float[n]; var b = new float[n]; var c = new float[n];
        b.AsSpan().Fill(1); c.AsSpan().Fill(2);
        long half = n / 2;
        double t = Timing.MedianSeconds(() => Parallel.For(0, 2, i =>
        {
            long start = i * half, count = i == 0 ? half : n - half;
            TensorPrimitives.Add(b.AsSpan((int)start, (int)count), c.AsSpan((int)start, (int)count), a.AsSpan((int)start, (int)count));
        }), () => { }, reps: reps);
        return 12.0 * n / t / 1e9;
    }

    private static StridedSlice Dense(DeviceBuffer buffer, long n) => new(buffer, 0, [n], [1]);

    public static IEnumerable<BenchRecord> Run(ComputeDevice device, bool quick)
    {
        long n = TriadCount;
        using var a = device.Allocate(n);
        using var b = device.Allocate(n);
        using var c = device.Allocate(n);
        using var d = device.Allocate(n);
        device.FillRandom(b, n, 3, RandomDistribution.Uniform, -1, 1);
        device.FillRandom(c, n, 4, RandomDistribution.Uniform, -1, 1);
        int reps = quick ? 7 : 25;

        var triad = new FusedLaunch([n], [Dense(b, n), Dense(c, n)], [a], [3f]);
        double t = Timing.MedianSeconds(() => device.RunFused(Triad, triad), device.Synchronize, reps: reps);
        yield return new BenchRecord("triad", device.Id, $"{n}", 12.0 * n / t / 1e9, "GB/s");
        if (device is CpuDevice)
            yield return new BenchRecord("triad_anchor", "tensorprimitives-add-2-threads", $"{n}", TensorPrimitivesAdd(n, reps), "GB/s");

        // fused: reads x, w, b; writes y: 16 bytes per element.
        var fused = new FusedLaunch([n], [Dense(a, n), Dense(b, n), Dense(c, n)], [d], [0.5f]);
        double tf = Timing.MedianSeconds(() => device.RunFused(Chain, fused), device.Synchronize, reps: reps);
        yield return new BenchRecord("chain_fused", device.Id, $"{n}", tf * 1e3, "ms");

        // unfused: x*w → d, d+b → d, relu(d) → d, d*s → d: four passes, 44 bytes per element.
        double tu = Timing.MedianSeconds(() =>
        {
            device.RunFused(ElementwiseOps.Mul, new FusedLaunch([n], [Dense(a, n), Dense(b, n)], [d], []));
            device.RunFused(ElementwiseOps.Add, new FusedLaunch([n], [Dense(d, n), Dense(c, n)], [d], []));
            device.RunFused(ElementwiseOps.Relu, new FusedLaunch([n], [Dense(d, n)], [d], []));
            device.RunFused(ElementwiseOps.Scale, new FusedLaunch([n], [Dense(d, n)], [d], [0.5f]));
        }, device.Synchronize, reps: reps);
        yield return new BenchRecord("chain_unfused", device.Id, $"{n}", tu * 1e3, "ms");
        yield return new BenchRecord("chain_fusion_speedup", device.Id, $"{n}", tu / tf, "x");

        foreach (var r in LaunchSuite.Run(device, quick)) yield return r;
    }
}
