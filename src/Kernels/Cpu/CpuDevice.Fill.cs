using Engine.Kernels.Devices;
using Engine.Kernels.Profiling;

namespace Engine.Kernels.Cpu;

public sealed unsafe partial class CpuDevice
{
    public override void Fill(BufferSlice dst, long count, float value, DType dtype = DType.Float32)
    {
        long started = KernelProfiler.StartHost();
        var target = Elements(dst, count, nameof(dst));
        int bits = dtype == DType.Int32 ? (int)value : BitConverter.SingleToInt32Bits(value);
        FillBits((int*)target, count, bits);
        if (started != 0) KernelProfiler.RecordHost(started, "fill", Id, Traffic(count));
    }

    public override void Arange(BufferSlice dst, long count, float start, float step)
    {
        long started = KernelProfiler.StartHost();
        var target = Elements(dst, count, nameof(dst));
        CpuParallel.For(count, CpuParallel.MinElementsPerWorker, (begin, end) =>
        {
            for (long i = begin; i < end; i++) target[i] = (float)(start + (double)i * step);
        });
        if (started != 0) KernelProfiler.RecordHost(started, "arange", Id, Traffic(count, 2.0 * count));
    }

    /// <summary>Writes one 32-bit pattern <paramref name="count"/> times, vectorized and over all cores.</summary>
    internal static void FillBits(int* target, long count, int bits)
    {
        bool streaming = StreamingStores.Applies(count);
        CpuParallel.For(count, CpuParallel.MinElementsPerWorker, (begin, end) =>
        {
            if (streaming)
            {
                StreamingStores.Fill(target + begin, end - begin, bits);
                return;
            }
            for (long i = begin; i < end; i += int.MaxValue)
                new Span<int>(target + i, (int)Math.Min(int.MaxValue, end - i)).Fill(bits);
        });
    }
}
