using Engine.Benchmarks;
using Engine.Kernels.Devices;

namespace Engine.Bench;

/// <summary>GEMM throughput: square sizes, and the shapes one training step of config T runs (batch 12 × block 64 tokens, width 128).</summary>
public static class GemmSuite
{
    /// <summary>(label, spec): the transformer's GEMMs, forward and backward, for 768 tokens of width 128.</summary>
    public static IEnumerable<(string Label, GemmSpec Spec)> TransformerShapes()
    {
        yield return ("qkv 768x384x128", GemmSpec.Contiguous(1, 768, 384, 128, transB: true));
        yield return ("mlp-up 768x512x128", GemmSpec.Contiguous(1, 768, 512, 128, transB: true));
        yield return ("mlp-down 768x128x512", GemmSpec.Contiguous(1, 768, 128, 512, transB: true));
        yield return ("lm-head 768x65x128", GemmSpec.Contiguous(1, 768, 65, 128, transB: true));
        yield return ("weight-grad 512x128x768", GemmSpec.Contiguous(1, 512, 128, 768, transA: true));
        yield return ("attn-scores 48x(64x64x32)", GemmSpec.Contiguous(48, 64, 64, 32, transB: true));
        yield return ("attn-values 48x(64x32x64)", GemmSpec.Contiguous(48, 64, 32, 64));
    }

    /// <summary>
    /// (label, spec): one layer's GEMMs of the small preset (4,096 tokens of width 384, 6 heads of 64, block 256), forward
    /// and backward as the autograd issues them (Linear: y = x·Wᵀ, dX = G·W, dW = Gᵀ·X), for GPUs, where config T's
    /// products are too small to fill the device.
    /// </summary>
    public static IEnumerable<(string Label, GemmSpec Spec)> SmallPresetShapes()
    {
        foreach (var (name, width, outputs) in new[] { ("qkv", 384, 1152), ("proj", 384, 384), ("mlp-up", 384, 1536), ("mlp-down", 1536, 384) })
        {
            yield return ($"S {name} y=x·Wt 4096x{outputs}x{width}", GemmSpec.Contiguous(1, 4096, outputs, width, transB: true));
            yield return ($"S {name} dX=G·W 4096x{width}x{outputs}", GemmSpec.Contiguous(1, 4096, width, outputs));
            yield return ($"S {name} dW=Gt·X {outputs}x{width}x4096", GemmSpec.Contiguous(1, outputs, width, 4096, transA: true));
        }
        yield return ("S scores 96x(256x256x64)", GemmSpec.Contiguous(96, 256, 256, 64, transB: true));
        yield return ("S values 96x(256x64x256)", GemmSpec.Contiguous(96, 256, 64, 256));
        yield return ("S dK=Gt·Q 96x(256x64x256)", GemmSpec.Contiguous(96, 256, 64, 256, transA: true));
    }

    public static IEnumerable<BenchRecord> Run(ComputeDevice device, bool quick, int[] squareSizes)
    {
        foreach (var n in squareSizes)
            yield return Measure(device, $"{n}x{n}x{n}", GemmSpec.Contiguous(1, n, n, n), quick);
        foreach (var (label, spec) in TransformerShapes())
            yield return Measure(device, label, spec, quick);
        if (device.Kind != DeviceKind.Cpu)
            foreach (var (label, spec) in SmallPresetShapes())
                yield return Measure(device, label, spec, quick);
    }

    public static BenchRecord Measure(ComputeDevice device, string shape, GemmSpec spec, bool quick)
    {
        long aLen = spec.Batch * (long)spec.M * spec.K, bLen = spec.Batch * (long)spec.K * spec.N, cLen = spec.Batch * (long)spec.M * spec.N;
        using var a = device.Allocate(aLen);
        using var b = device.Allocate(bLen);
        using var c = device.Allocate(cLen);
        device.FillRandom(a, aLen, 1, RandomDistribution.Uniform, -1, 1);
        device.FillRandom(b, bLen, 2, RandomDistribution.Uniform, -1, 1);
        double seconds = Timing.MedianSeconds(() => device.Gemm(spec, a, b, c), device.Synchronize,
                                              warmup: 2, reps: quick ? 5 : 15, budgetSeconds: quick ? 3 : 10);
        return new BenchRecord("gemm", device.Id, shape, spec.Flops / seconds / 1e9, "GFLOP/s");
    }
}
