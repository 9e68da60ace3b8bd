using Engine.Kernels.Devices;

namespace Engine.Kernels.Cpu;

public sealed unsafe partial class CpuDevice
{
    private const int MaxCopyRank = 8;

    public override void Copy(StridedSlice src, StridedSlice dst)
    {
        var plan = StridedCopyPlan.Create(src, dst, MaxCopyRank);
        var source = (int*)StridedOrigin(src, nameof(src));
        var target = (int*)StridedOrigin(dst, nameof(dst));
        if (plan.Count > 0) plan.Run(source, target);
    }

    /// <summary>
    /// Checks that every element a strided view can reach lies inside its buffer and returns the address of
    /// the view's element (0, 0, ...). Negative strides are allowed as long as they stay in bounds.
    /// </summary>
    internal float* StridedOrigin(StridedSlice view, string name)
    {
        var buffer = Own(view.Buffer, name);
        long low = view.Offset, high = view.Offset;
        for (int d = 0; d < view.Shape.Length; d++)
        {
            if (view.Shape[d] == 0) return buffer.Pointer;
            long reach = (view.Shape[d] - 1) * view.Strides[d];
            if (reach < 0) low += reach; else high += reach;
        }
        if (low < 0 || high >= buffer.Length)
            throw new ArgumentOutOfRangeException(name,
                $"{name}: the view of shape [{string.Join(", ", view.Shape)}] with strides [{string.Join(", ", view.Strides)}] " +
                $"at offset {view.Offset} reaches elements [{low}, {high}] of a buffer of length {buffer.Length}");
        return buffer.Pointer + view.Offset;
    }
}
