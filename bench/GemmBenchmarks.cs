using BenchmarkDotNet.Attributes;
using Engine.Kernels.Devices;

namespace Engine.Bench;

/// <summary>BenchmarkDotNet view of the GEMM kernel: `dotnet run -c Release --project bench -- --filter '*Gemm*'`.</summary>
[MemoryDiagnoser(false)]
public class GemmBenchmarks
{
    private ComputeDevice _device = null!;
    private DeviceBuffer _a = null!, _b = null!, _c = null!;
    private GemmSpec _spec;

    [Params("cpu", "opencl")] public string Backend { get; set; } = "cpu";
    [Params(128, 256, 512, 1024, 2048)] public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _device = DeviceRegistry.Open(Backend);
        _spec = GemmSpec.Contiguous(1, Size, Size, Size);
        long n = (long)Size * Size;
        _a = _device.Allocate(n); _b = _device.Allocate(n); _c = _device.Allocate(n);
        _device.FillRandom(_a, n, 1, RandomDistribution.Uniform, -1, 1);
        _device.FillRandom(_b, n, 2, RandomDistribution.Uniform, -1, 1);
    }

    [Benchmark]
    public void Gemm()
    {
        _device.Gemm(_spec, _a, _b, _c);
        _device.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a.Dispose(); _b.Dispose(); _c.Dispose();
    }
}
