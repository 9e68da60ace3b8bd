using Engine.Kernels.Devices;

namespace Engine.Kernels.Gpu;

/// <summary>Row-wise ops: one work-group per row of a dense [rows, cols] matrix.</summary>
public abstract partial class GpuDevice
{
    public override void Softmax(BufferSlice src, BufferSlice dst, long rows, int cols, bool log)
    {
        CheckRows(rows, cols);
        CheckSlice(src, rows * cols, nameof(src));
        CheckSlice(dst, rows * cols, nameof(dst));
        if (rows == 0 || cols == 0) return;
        LaunchGroupPerItem(OpKernel("softmax.cl", "softmax_rows"), rows,
            [Buf(src), Off(src), Buf(dst), Off(dst), KernelArg.Of(cols), KernelArg.Of(log ? 1 : 0)],
            Traffic(2 * rows * cols, 4.0 * rows * cols));
    }

    public override void LayerNorm(BufferSlice x, BufferSlice gamma, BufferSlice beta, BufferSlice y,
                                   BufferSlice mean, BufferSlice rstd, long rows, int cols, float eps)
    {
        CheckRows(rows, cols);
        CheckSlice(x, rows * cols, nameof(x));
        CheckSlice(gamma, cols, nameof(gamma));
        CheckSlice(beta, cols, nameof(beta));
        CheckSlice(y, rows * cols, nameof(y));
        CheckSlice(mean, rows, nameof(mean));
        CheckSlice(rstd, rows, nameof(rstd));
        if (rows == 0) return;
        if (cols == 0)
        {
            // The mean and variance of an empty row are 0 / 0, as on the cpu backend.
            Fill(mean, rows, float.NaN);
            Fill(rstd, rows, float.NaN);
            return;
        }
        LaunchGroupPerItem(OpKernel("layernorm.cl", "layernorm_rows"), rows,
            [Buf(x), Off(x), Buf(gamma), Off(gamma), Buf(beta), Off(beta), Buf(y), Off(y),
             Buf(mean), Off(mean), Buf(rstd), Off(rstd), KernelArg.Of(cols), KernelArg.Of(eps)],
            Traffic(2 * rows * cols + 2 * cols + 2 * rows, 7.0 * rows * cols));
    }

    public override void CrossEntropy(BufferSlice logits, BufferSlice targets, BufferSlice losses, long rows, int cols)
    {
        CheckRows(rows, cols);
        CheckSlice(logits, rows * cols, nameof(logits));
        CheckSlice(targets, rows, nameof(targets));
        CheckSlice(losses, rows, nameof(losses));
        CheckIndices(targets, rows, cols, nameof(targets), "class");
        if (rows == 0) return;
        LaunchGroupPerItem(OpKernel("cross_entropy.cl", "cross_entropy_rows"), rows,
            [Buf(logits), Off(logits), Buf(targets), Off(targets), Buf(losses), Off(losses), KernelArg.Of(cols)],
            Traffic(rows * cols + 2 * rows, 3.0 * rows * cols));
    }

    private static void CheckRows(long rows, int cols)
    {
        if (rows < 0 || cols < 0)
            throw new ArgumentOutOfRangeException(nameof(rows), $"row shape [{rows}, {cols}] has a negative extent");
    }
}
