using Engine.Kernels.Devices;

namespace Engine.Kernels.Gpu;

public abstract partial class GpuDevice
{
    public override void SparseMatMul(SparseMatMulSpec spec, BufferSlice starts, BufferSlice columns, BufferSlice values,
                                      BufferSlice input, BufferSlice output)
    {
        spec.Validate();
        CheckSlice(starts, spec.StartElements, nameof(starts));
        CheckSlice(columns, spec.EntryElements, nameof(columns));
        CheckSlice(values, spec.EntryElements, nameof(values));
        CheckSlice(input, spec.InputElements, nameof(input));
        CheckSlice(output, spec.OutputElements, nameof(output));
        if (spec.OutputElements == 0) return;
        // Entries in use are not known without reading the starts back; the room bounds the traffic instead.
        LaunchPerItem(OpKernel("sparse.cl", "sparse_matmul"), spec.OutputElements,
            [Buf(starts), Off(starts), Buf(columns), Off(columns), Buf(values), Off(values), Buf(input), Off(input),
             Buf(output), Off(output), KernelArg.Of(spec.Batch), KernelArg.Of(spec.Rows), KernelArg.Of(spec.Inner),
             KernelArg.Of(spec.Cols), KernelArg.Of(spec.Capacity)],
            Traffic(spec.StartElements + 2 * spec.EntryElements + spec.InputElements + spec.OutputElements,
                    2.0 * spec.EntryElements * spec.Cols));
    }
}
