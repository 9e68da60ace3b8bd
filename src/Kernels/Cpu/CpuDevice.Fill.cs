using Engine.Kernels.Devices;

namespace Engine.Kernels.Cpu;

public sealed unsafe partial class CpuDevice
{
    public override void Fill(BufferSlice dst, long count, float value, DType dtype = DType.Float32)
    {
        var target = Elements(dst, count, nameof(dst));
        int bits = dtype == DType.Int32 ? (int)value : BitConverter.SingleToInt32Bits(value);
        FillBits((int*)target, count, bits);
    }

    public override void Arange(BufferSlice dst, long count, float start, float step)
    {
        var target = Elements(dst, count, nameof(dst));
        CpuParallel.For(count, CpuParallel.MinElementsPerWorker, (begin, end) =>
        {
            for (long i = begin; i < end; i++) target[i] = (float)(start + (double)i * step);
        });
    }

    /// <summary>Writes one 32-bit pattern <paramref name="count"/> times, vectorized and over all cores.</summary>
    internal static void FillBits(int* target, long count, int bits)
    {
        CpuParallel.For(count, CpuParallel.MinElementsPerWorker, (begin, end) =>
        {
            for (long i = begin; i < end; i += int.MaxValue)
                new Span<int>(target + i, (int)Math.Min(int.MaxValue, end - i)).Fill(bits);
        });
    }
}
