namespace Engine.Kernels.Devices;

/// <summary>
/// C[b] = Alpha * op(A[b]) * op(B[b]) + Beta * C[b], row-major, for b in [0, Batch).
/// op(A) is M x K (A is stored K x M when TransA), op(B) is K x N (B is stored N x K when TransB).
/// Lda/Ldb/Ldc are row strides of the stored matrices; BatchStrideX the element distance between batches
/// (0 broadcasts one matrix over the batch).
/// </summary>
public readonly record struct GemmSpec(
    int Batch, int M, int N, int K,
    bool TransA, bool TransB,
    long Lda, long Ldb, long Ldc,
    long BatchStrideA, long BatchStrideB, long BatchStrideC,
    float Alpha = 1f, float Beta = 0f)
{
    /// <summary>Plain contiguous (batched) GEMM with the leading dimensions implied by the shapes.</summary>
    public static GemmSpec Contiguous(int batch, int m, int n, int k, bool transA = false, bool transB = false,
                                      float alpha = 1f, float beta = 0f, bool broadcastA = false, bool broadcastB = false)
        => new(batch, m, n, k, transA, transB,
               transA ? m : k, transB ? k : n, n,
               broadcastA ? 0 : (long)m * k, broadcastB ? 0 : (long)k * n, (long)m * n, alpha, beta);

    public double Flops => 2.0 * Batch * M * N * K;
}

/// <summary>Reductions along one axis of a contiguous tensor seen as [Outer, Axis, Inner].</summary>
public enum ReduceOp { Sum, Mean, Max, SumSquares, ArgMax }

public enum RandomDistribution { Uniform, Normal }
