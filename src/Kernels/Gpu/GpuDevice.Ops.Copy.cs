using Engine.Kernels.Devices;

namespace Engine.Kernels.Gpu;

public abstract partial class GpuDevice
{
    private const int MaxCopyRank = 8;

    public override void Copy(StridedSlice src, StridedSlice dst)
    {
        var layout = CopyLayout.Create(src, dst, MaxCopyRank);
        CheckStrided(src, nameof(src));
        CheckStrided(dst, nameof(dst));
        if (layout.Count == 0) return;

        if (layout.Rank == 1 && layout.SrcStrides[0] == 1 && layout.DstStrides[0] == 1)
        {
            LaunchPerItem(OpKernel("copy.cl", "copy_dense"), layout.Count,
                [KernelArg.Of(src.Buffer), KernelArg.Of(src.Offset), KernelArg.Of(dst.Buffer), KernelArg.Of(dst.Offset),
                 KernelArg.Of(layout.Count)], Traffic(2 * layout.Count));
        }
        else if (layout.Rank == 1)
        {
            LaunchPerItem(OpKernel("copy.cl", "copy_row"), layout.Count,
                [KernelArg.Of(src.Buffer), KernelArg.Of(src.Offset), KernelArg.Of(layout.SrcStrides[0]),
                 KernelArg.Of(dst.Buffer), KernelArg.Of(dst.Offset), KernelArg.Of(layout.DstStrides[0]),
                 KernelArg.Of(layout.Count)], Traffic(2 * layout.Count));
        }
        else if (layout.Rank <= 4 && layout.Count <= int.MaxValue)
        {
            int pad = 4 - layout.Rank;
            long Shape(int d) => d < pad ? 1 : layout.Shape[d - pad];
            long Src(int d) => d < pad ? 0 : layout.SrcStrides[d - pad];
            long Dst(int d) => d < pad ? 0 : layout.DstStrides[d - pad];
            LaunchPerItem(OpKernel("copy.cl", "copy_strided4"), layout.Count,
                [KernelArg.Of(src.Buffer), KernelArg.Of(src.Offset), KernelArg.Of(dst.Buffer), KernelArg.Of(dst.Offset),
                 KernelArg.Of((int)Shape(1)), KernelArg.Of((int)Shape(2)), KernelArg.Of((int)Shape(3)),
                 KernelArg.Of(Src(0)), KernelArg.Of(Src(1)), KernelArg.Of(Src(2)), KernelArg.Of(Src(3)),
                 KernelArg.Of(Dst(0)), KernelArg.Of(Dst(1)), KernelArg.Of(Dst(2)), KernelArg.Of(Dst(3)),
                 KernelArg.Of((int)layout.Count)], Traffic(2 * layout.Count));
        }
        else
        {
            // Shape and both stride lists travel in one small scratch buffer (3 * rank Int64 values).
            lock (ScratchLock)
            {
                long[] packed = [.. layout.Shape, .. layout.SrcStrides, .. layout.DstStrides];
                var scratch = Scratch("copy-layout", 2L * packed.Length);
                Write<long>(scratch, packed);
                LaunchPerItem(OpKernel("copy.cl", "copy_strided"), layout.Count,
                    [KernelArg.Of(src.Buffer), KernelArg.Of(src.Offset), KernelArg.Of(dst.Buffer), KernelArg.Of(dst.Offset),
                     KernelArg.Of(scratch), KernelArg.Of(0L), KernelArg.Of(layout.Rank), KernelArg.Of(layout.Count)],
                    Traffic(2 * layout.Count));
            }
        }
    }

    public override void Fill(BufferSlice dst, long count, float value, DType dtype = DType.Float32)
    {
        CheckSlice(dst, count, nameof(dst));
        if (count == 0) return;
        int bits = dtype == DType.Int32 ? (int)value : BitConverter.SingleToInt32Bits(value);
        LaunchPerItem(OpKernel("fill.cl", "fill_bits"), count,
            [Buf(dst), Off(dst), KernelArg.Of(count), KernelArg.Of(bits)], Traffic(count));
    }

    public override void Arange(BufferSlice dst, long count, float start, float step)
    {
        CheckSlice(dst, count, nameof(dst));
        if (count == 0) return;
        LaunchPerItem(OpKernel("fill.cl", "arange"), count,
            [Buf(dst), Off(dst), KernelArg.Of(count), KernelArg.Of(start), KernelArg.Of(step)], Traffic(count, 2.0 * count));
    }

    public override void FillRandom(BufferSlice dst, long count, ulong seed, RandomDistribution distribution, float a, float b)
    {
        CheckSlice(dst, count, nameof(dst));
        string kernel = distribution switch
        {
            RandomDistribution.Uniform => "random_uniform",
            RandomDistribution.Normal => "random_normal",
            _ => throw new ArgumentOutOfRangeException(nameof(distribution), distribution, "unknown random distribution"),
        };
        if (count == 0) return;
        LaunchPerItem(OpKernel("random.cl", kernel), count,
            [Buf(dst), Off(dst), KernelArg.Of(count), KernelArg.Of(unchecked((long)seed)), KernelArg.Of(a), KernelArg.Of(b)],
            Traffic(count));
    }

    /// <summary>Checks that every element a strided view can reach lies inside its buffer (negative strides allowed).</summary>
    private void CheckStrided(StridedSlice view, string name)
    {
        CheckOwned(view.Buffer, name);
        long low = view.Offset, high = view.Offset;
        for (int d = 0; d < view.Shape.Length; d++)
        {
            if (view.Shape[d] == 0) return;
            long reach = (view.Shape[d] - 1) * view.Strides[d];
            if (reach < 0) low += reach; else high += reach;
        }
        if (low < 0 || high >= view.Buffer.Length)
            throw new ArgumentOutOfRangeException(name,
                $"{name}: the view of shape [{string.Join(", ", view.Shape)}] with strides [{string.Join(", ", view.Strides)}] " +
                $"at offset {view.Offset} reaches elements [{low}, {high}] of a buffer of length {view.Buffer.Length}");
    }
}
