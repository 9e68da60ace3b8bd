using Engine.Kernels.Devices;

namespace Engine.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product over the last two axes: op(a) [.., M, K] × op(b) [.., K, N] → [.., M, N], where op transposes
    /// the last two axes when <paramref name="transposeA"/>/<paramref name="transposeB"/> is set. Leading (batch) axes
    /// broadcast; a 2-D operand is shared by every batch. Transposed views are read in place, not copied.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transposeA = false, bool transposeB = false)
    {
        const string op = "MatMul";
        a.ThrowIfDisposed(); b.ThrowIfDisposed();
        a.RequireDType(DType.Float32, op); b.RequireDType(DType.Float32, op);
        a.RequireSameDevice(b, op);
        if (a.Rank < 2 || b.Rank < 2)
            throw new ArgumentException($"{op}: operands need at least 2 dimensions, got {ShapeMath.Format(a._shape)} and {ShapeMath.Format(b._shape)}");
        int m = transposeA ? a._shape[^1] : a._shape[^2];
        int k = transposeA ? a._shape[^2] : a._shape[^1];
        int kb = transposeB ? b._shape[^1] : b._shape[^2];
        int n = transposeB ? b._shape[^2] : b._shape[^1];
        if (k != kb)
            throw new ArgumentException(
                $"{op}: inner dimensions differ: {ShapeMath.Format(a._shape)}{(transposeA ? "ᵀ" : "")} has K={k}, " +
                $"{ShapeMath.Format(b._shape)}{(transposeB ? "ᵀ" : "")} has K={kb}");
        var batchShape = ShapeMath.Broadcast(a._shape.AsSpan(0, a.Rank - 2), b._shape.AsSpan(0, b.Rank - 2), op);
        int batch = (int)ShapeMath.Count(batchShape);
        var outShape = batchShape.Append(m).Append(n).ToArray();
        var result = AllocateForOutput(a.Device, outShape);   // the GEMM writes all of C (zeros when K = 0)
        if (result.Count == 0) return result;

        var (aT, aSlice, lda, strideA, aTemp) = GemmOperand(a, batchShape, transposeA);
        var (bT, bSlice, ldb, strideB, bTemp) = GemmOperand(b, batchShape, transposeB);
        try
        {
            var spec = new GemmSpec(batch, m, n, k, aT, bT, lda, ldb, n, strideA, strideB, (long)m * n);
            a.Device.Gemm(spec, aSlice, bSlice, result.DataSlice);
        }
        finally
        {
            aTemp?.Dispose();
            bTemp?.Dispose();
        }
        return result;
    }

    /// <summary>
    /// Describes one operand for the GEMM kernel: whether it is stored transposed, its leading dimension and
    /// its batch stride. Layouts the kernel cannot read directly are copied densely first (returned as temp).
    /// </summary>
    private static (bool Transposed, BufferSlice Slice, long Ld, long BatchStride, Tensor? Temp) GemmOperand(
        Tensor t, int[] batchShape, bool transpose)
    {
        int rank = t.Rank;
        long rowStride = t._strides[rank - 2], colStride = t._strides[rank - 1];
        int rows = t._shape[rank - 2], cols = t._shape[rank - 1];
        bool rowMajor = colStride == 1 || cols == 1;
        bool colMajor = !rowMajor && (rowStride == 1 || rows == 1);
        long? batchStride = CollapseBatch(t, batchShape);
        if ((rowMajor || colMajor) && batchStride is { } bs)
        {
            // Row-major storage: ld is the row stride. Column-major storage is the transpose of a row-major one.
            long ld = rowMajor ? Math.Max(rowStride, cols) : Math.Max(colStride, rows);
            if (rowMajor && rows == 1) ld = cols;
            if (colMajor && cols == 1) ld = rows;
            return (transpose ^ colMajor, new BufferSlice(t.Buffer, t.Offset), ld, bs, null);
        }
        // Materialize the broadcast batch densely, then it is plain row-major.
        var full = batchShape.Append(rows).Append(cols).ToArray();
        var dense = AllocateForOutput(t.Device, full);
        var expanded = new StridedSlice(t.Buffer, t.Offset, Array.ConvertAll(full, d => (long)d),
                                        ShapeMath.BroadcastStrides(t._shape, t._strides, full));
        t.Device.Copy(expanded, dense.Strided);
        return (transpose, dense.DataSlice, cols, (long)rows * cols, dense);
    }

    /// <summary>One stride that walks every batch of <paramref name="t"/> in order, or null if there is none.</summary>
    private static long? CollapseBatch(Tensor t, int[] batchShape)
    {
        var strides = ShapeMath.BroadcastStrides(t._shape.AsSpan(0, t.Rank - 2), t._strides.AsSpan(0, t.Rank - 2), batchShape);
        if (batchShape.All(d => d == 1)) return 0;
        if (strides.All(s => s == 0)) return 0;
        // Walking batches in row-major order must advance by one constant stride.
        long? step = null;
        long expected = 0;
        for (int i = batchShape.Length - 1; i >= 0; i--)
        {
            if (batchShape[i] == 1) continue;
            if (step is null) { step = strides[i]; expected = strides[i] * batchShape[i]; continue; }
            if (strides[i] != expected) return null;
            expected *= batchShape[i];
        }
        return step ?? 0;
    }
}
