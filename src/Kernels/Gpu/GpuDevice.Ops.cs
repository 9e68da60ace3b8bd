using System.Collections.Concurrent;
using Engine.Kernels.Devices;
using Engine.Kernels.Profiling;

namespace Engine.Kernels.Gpu;

/// <summary>
/// The op kernels of every GPU backend: each op validates its operands on the host (same rules and messages as
/// the cpu backend), then launches the portable kernels in Sources/*.cl, which OpenCL and CUDA compile alike. Launch
/// shapes come from a small fixed set (1-D groups of <see cref="OpGroupSize"/>, 16 x 8 or 16 x 16 for GEMM) because PoCL
/// recompiles a kernel for every new local size. Each launch reports its minimal memory traffic (every operand read
/// or written once) and flops to the profiler.
/// </summary>
public abstract partial class GpuDevice
{
    private readonly ConcurrentDictionary<(string File, string Kernel, string Defines), CompiledKernel> _opKernels = new();

    /// <summary>Local size of every 1-D op kernel (also compiled into them as WG_SIZE).</summary>
    private int OpGroupSize => Math.Min(256, MaxWorkGroupSize);

    /// <summary>Kernel <paramref name="kernel"/> of Sources/<paramref name="file"/>, built with WG_SIZE and <paramref name="defines"/> ("-DX=1 ...").</summary>
    private CompiledKernel OpKernel(string file, string kernel, string defines = "") =>
        _opKernels.GetOrAdd((file, kernel, defines),
            key => GetKernel(KernelSources.Load(key.File), key.File, key.Kernel, $"-DWG_SIZE={OpGroupSize} {key.Defines}".Trim()));

    /// <summary>
    /// Launches one work-item per item (the kernel returns past <paramref name="count"/>). No grid-stride loops:
    /// PoCL vectorizes loop-free kernels across work-items and runs them ~10x faster.
    /// </summary>
    private void LaunchPerItem(CompiledKernel kernel, long count, ReadOnlySpan<KernelArg> args, KernelWork work)
    {
        long group = OpGroupSize;
        Launch(kernel, [(count + group - 1) / group * group], [group], args, work);
    }

    /// <summary>Launches one work-group of OpGroupSize threads per item (rows of softmax, LayerNorm, ...).</summary>
    private void LaunchGroupPerItem(CompiledKernel kernel, long items, ReadOnlySpan<KernelArg> args, KernelWork work)
    {
        long group = OpGroupSize;
        Launch(kernel, [items * group], [group], args, work);
    }

    /// <summary>Profiler figures for a launch that moves <paramref name="elements"/> 4-byte elements.</summary>
    private static KernelWork Traffic(long elements, double flops = 0) => new(elements * sizeof(float), flops);

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

    /// <summary>Rejects a null buffer, one of another device and a disposed one.</summary>
    private protected void CheckOwned(DeviceBuffer buffer, string name)
    {
        ArgumentNullException.ThrowIfNull(buffer, name);
        if (!ReferenceEquals(buffer.Device, this))
            throw new ArgumentException($"buffer belongs to device '{buffer.Device.Id}', not '{Id}'", name);
        buffer.ThrowIfDisposed();
    }

    private static KernelArg Buf(BufferSlice slice) => KernelArg.Of(slice.Buffer);
    private static KernelArg Off(BufferSlice slice) => KernelArg.Of(slice.Offset);
}
