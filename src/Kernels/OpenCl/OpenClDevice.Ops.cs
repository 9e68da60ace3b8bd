using System.Collections.Concurrent;
using Engine.Kernels.Devices;

namespace Engine.Kernels.OpenCl;

/// <summary>
/// The op kernels of the OpenCL backend: each op validates its operands on the host (same rules and messages as
/// the cpu backend), then launches the portable kernels in Sources/*.cl. Launch shapes come from a small fixed
/// set (1-D groups of <see cref="OpGroupSize"/>, 16 x 16 for GEMM) because PoCL recompiles a kernel for every
/// new local size.
/// </summary>
public sealed partial class OpenClDevice
{
    /// <summary>Most work-groups a grid-stride kernel is launched with; each work-item then loops.</summary>
    private const long MaxGridGroups = 4096;

    private readonly ConcurrentDictionary<(string File, string Kernel), CompiledKernel> _opKernels = new();

    /// <summary>Local size of every 1-D op kernel (also compiled into them as WG_SIZE).</summary>
    private int OpGroupSize => Math.Min(256, MaxWorkGroupSize);

    private CompiledKernel OpKernel(string file, string kernel) =>
        _opKernels.GetOrAdd((file, kernel),
            key => GetKernel(KernelSources.Load(key.File), key.File, key.Kernel, $"-DWG_SIZE={OpGroupSize}"));

    /// <summary>Launches a grid-stride kernel over <paramref name="count"/> items with at most MaxGridGroups groups.</summary>
    private void LaunchGridStride(CompiledKernel kernel, long count, ReadOnlySpan<KernelArg> args)
    {
        long group = OpGroupSize;
        long groups = Math.Clamp((count + group - 1) / group, 1, MaxGridGroups);
        Launch(kernel, [groups * group], [group], args);
    }

    /// <summary>Launches one work-group of OpGroupSize threads per item (rows of softmax, LayerNorm, ...).</summary>
    private void LaunchGroupPerItem(CompiledKernel kernel, long items, ReadOnlySpan<KernelArg> args)
    {
        long group = OpGroupSize;
        Launch(kernel, [items * group], [group], args);
    }

    /// <summary>
    /// Checks that <paramref name="slice"/> is a live buffer of this device holding <paramref name="count"/>
    /// elements from its offset.
    /// </summary>
    private void CheckSlice(BufferSlice slice, long count, string name)
    {
        CheckOwned(slice.Buffer, name);
        if (count < 0)
            throw new ArgumentOutOfRangeException(name, count, $"{name}: element count must be >= 0");
        if (slice.Offset < 0 || slice.Offset > slice.Buffer.Length || count > slice.Buffer.Length - slice.Offset)
            throw new ArgumentOutOfRangeException(name,
                $"{name}: elements [{slice.Offset}, {slice.Offset + count}) lie outside the buffer of length {slice.Buffer.Length}");
    }

    private void CheckOwned(DeviceBuffer buffer, string name)
    {
        ArgumentNullException.ThrowIfNull(buffer, name);
        buffer.ThrowIfDisposed();
        if (!ReferenceEquals(buffer.Device, this))
            throw new ArgumentException(
                $"{name}: the buffer belongs to device '{buffer.Device.Id}', not to this {Id} device", name);
    }

    private static KernelArg Buf(BufferSlice slice) => KernelArg.Of(slice.Buffer);
    private static KernelArg Off(BufferSlice slice) => KernelArg.Of(slice.Offset);
}
