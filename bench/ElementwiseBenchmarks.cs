using BenchmarkDotNet.Attributes;
using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;

namespace Engine.Bench;

/// <summary>BenchmarkDotNet view of the memory-bound kernels: triad, and a fused chain against the same chain unfused.</summary>
public class ElementwiseBenchmarks
{
    private ComputeDevice _device = null!;
    private DeviceBuffer _a = null!, _b = null!, _c = null!, _d = null!;
    private const long N = ElementwiseSuite.TriadCount;

    [Params("cpu", "opencl")] public string Backend { get; set; } = "cpu";

    [GlobalSetup]
    public void Setup()
    {
        _device = DeviceRegistry.Open(Backend);
        _a = _device.Allocate(N); _b = _device.Allocate(N); _c = _device.Allocate(N); _d = _device.Allocate(N);
        _device.FillRandom(_b, N, 3, RandomDistribution.Uniform, -1, 1);
        _device.FillRandom(_c, N, 4, RandomDistribution.Uniform, -1, 1);
    }

    private static StridedSlice Dense(DeviceBuffer b) => new(b, 0, [N], [1]);

    [Benchmark]
    public void Triad()
    {
        _device.RunFused(ElementwiseSuite.Triad, new FusedLaunch([N], [Dense(_b), Dense(_c)], [_a], [3f]));
        _device.Synchronize();
    }

    [Benchmark]
    public void ChainFused()
    {
        _device.RunFused(ElementwiseSuite.Chain, new FusedLaunch([N], [Dense(_a), Dense(_b), Dense(_c)], [_d], [0.5f]));
        _device.Synchronize();
    }

    [Benchmark]
    public void ChainUnfused()
    {
        _device.RunFused(ElementwiseOps.Mul, new FusedLaunch([N], [Dense(_a), Dense(_b)], [_d], []));
        _device.RunFused(ElementwiseOps.Add, new FusedLaunch([N], [Dense(_d), Dense(_c)], [_d], []));
        _device.RunFused(ElementwiseOps.Relu, new FusedLaunch([N], [Dense(_d)], [_d], []));
        _device.RunFused(ElementwiseOps.Scale, new FusedLaunch([N], [Dense(_d)], [_d], [0.5f]));
        _device.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a.Dispose(); _b.Dispose(); _c.Dispose(); _d.Dispose();
    }
}
