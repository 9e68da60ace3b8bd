using Engine.Kernels.Devices;

namespace Engine.Kernels.Gpu;

public abstract partial class GpuDevice
{
    /// <summary>Axes up to this length are folded by one work-item per output instead of a work-group.</summary>
    private const long SerialReduceMaxAxis = 64;

    /// <summary>Columns one work-group of reduce_cols/argmax_cols covers (REDUCE_COLS in reduce.cl).</summary>
    private const long ReduceColumnsPerGroup = 32;

    public override void Reduce(ReduceOp op, BufferSlice src, BufferSlice dst, long outer, long axis, long inner)
    {
        if (outer < 0 || axis < 0 || inner < 0)
            throw new ArgumentOutOfRangeException(nameof(axis),
                $"reduce shape [outer {outer}, axis {axis}, inner {inner}] has a negative extent");
        if (!Enum.IsDefined(op))
            throw new ArgumentOutOfRangeException(nameof(op), op, "unknown reduce op");
        if (axis == 0 && op is ReduceOp.Max or ReduceOp.ArgMax)
            throw new ArgumentException($"{op} over an empty axis (shape [{outer}, 0, {inner}]) has no value", nameof(axis));
        CheckSlice(src, outer * axis * inner, nameof(src));
        CheckSlice(dst, outer * inner, nameof(dst));
        if (outer * inner == 0) return;
        if (axis == 0)
        {
            Fill(dst, outer * inner, op == ReduceOp.Mean ? float.NaN : 0f);
            return;
        }

        bool argMax = op == ReduceOp.ArgMax;
        var work = Traffic(outer * axis * inner + outer * inner, (double)outer * axis * inner);
        // REDUCE_OP_* in reduce.cl; ArgMax has kernels of its own and passes no op code.
        int opCode = op switch
        {
            ReduceOp.Sum => 0,
            ReduceOp.Mean => 1,
            ReduceOp.Max => 2,
            ReduceOp.SumSquares => 3,
            _ => -1,
        };
        if (axis <= SerialReduceMaxAxis)
        {
            var kernel = OpKernel("reduce.cl", argMax ? "argmax_serial" : "reduce_serial");
            KernelArg[] args = argMax
                ? [Buf(src), Off(src), Buf(dst), Off(dst), KernelArg.Of(outer), KernelArg.Of(axis), KernelArg.Of(inner)]
                : [Buf(src), Off(src), Buf(dst), Off(dst), KernelArg.Of(outer), KernelArg.Of(axis), KernelArg.Of(inner), KernelArg.Of(opCode)];
            LaunchPerItem(kernel, outer * inner, args, work);
        }
        else if (inner == 1)
        {
            var kernel = OpKernel("reduce.cl", argMax ? "argmax_rows" : "reduce_rows");
            KernelArg[] args = argMax
                ? [Buf(src), Off(src), Buf(dst), Off(dst), KernelArg.Of(axis)]
                : [Buf(src), Off(src), Buf(dst), Off(dst), KernelArg.Of(axis), KernelArg.Of(opCode)];
            LaunchGroupPerItem(kernel, outer, args, work);
        }
        else
        {
            var kernel = OpKernel("reduce.cl", argMax ? "argmax_cols" : "reduce_cols");
            KernelArg[] args = argMax
                ? [Buf(src), Off(src), Buf(dst), Off(dst), KernelArg.Of(axis), KernelArg.Of(inner)]
                : [Buf(src), Off(src), Buf(dst), Off(dst), KernelArg.Of(axis), KernelArg.Of(inner), KernelArg.Of(opCode)];
            LaunchGroupPerItem(kernel, outer * ((inner + ReduceColumnsPerGroup - 1) / ReduceColumnsPerGroup), args, work);
        }
    }
}
