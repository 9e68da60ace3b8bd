using Engine.Kernels.Devices;
using Engine.Kernels.Profiling;
using Engine.Kernels.Random;

namespace Engine.Kernels.Cpu;

public sealed unsafe partial class CpuDevice
{
    /// <summary>Philox is a few dozen integer ops per element: worth splitting well below memory-bound sizes.</summary>
    private const long RandomElementsPerWorker = 1 << 12;

    public override void FillRandom(BufferSlice dst, long count, ulong seed, RandomDistribution distribution, float a, float b)
    {
        long started = KernelProfiler.StartHost();
        var target = Elements(dst, count, nameof(dst));
        switch (distribution)
        {
            case RandomDistribution.Uniform:
                CpuParallel.For(count, RandomElementsPerWorker, (begin, end) =>
                {
                    for (long i = begin; i < end; i++) target[i] = Philox.Uniform(seed, (ulong)i, a, b);
                });
                break;
            case RandomDistribution.Normal:
                CpuParallel.For(count, RandomElementsPerWorker, (begin, end) =>
                {
                    for (long i = begin; i < end; i++) target[i] = Philox.Normal(seed, (ulong)i, a, b);
                });
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(distribution), distribution, "unknown random distribution");
        }
        if (started != 0)
            KernelProfiler.RecordHost(started, distribution == RandomDistribution.Uniform ? "random_uniform" : "random_normal", Id, Traffic(count));
    }
}
