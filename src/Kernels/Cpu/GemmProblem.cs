namespace Engine.Kernels.Cpu;

/// <summary>
/// One (unbatched) GEMM on host pointers: C = Alpha * op(A) * op(B) + Beta * C, row-major,
/// op(A) M x K and op(B) K x N. Element accessors spell out where op(X)[r, c] lives.
/// </summary>
internal readonly unsafe struct GemmProblem(
    float* a, long lda, bool transA, float* b, long ldb, bool transB, float* c, long ldc,
    int m, int n, int k, float alpha, float beta)
{
    public readonly float* A = a, B = b, C = c;
    public readonly long Lda = lda, Ldb = ldb, Ldc = ldc;
    public readonly bool TransA = transA, TransB = transB;
    public readonly int M = m, N = n, K = k;
    public readonly float Alpha = alpha, Beta = beta;

    public float* AAt(long row, long col) => TransA ? A + col * Lda + row : A + row * Lda + col;

    public float* BAt(long row, long col) => TransB ? B + col * Ldb + row : B + row * Ldb + col;

    public double MultiplyAdds => (double)M * N * K;
}
