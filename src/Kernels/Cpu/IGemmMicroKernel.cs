namespace Engine.Kernels.Cpu;

/// <summary>
/// A register-blocked GEMM inner kernel: C[0..Rows, 0..Columns] (+)= A panel * B panel over kc steps, where the
/// A panel holds Rows consecutive floats per k and the B panel Columns consecutive floats per k (both packed,
/// 64-byte aligned, zero-padded at the edges). Implemented by structs so the driver is specialised per kernel.
/// </summary>
internal unsafe interface IGemmMicroKernel
{
    /// <summary>MR: rows of C per call.</summary>
    static abstract int Rows { get; }

    /// <summary>NR: columns of C per call.</summary>
    static abstract int Columns { get; }

    /// <summary>
    /// accumulate = false: C = A*B + beta*C (beta == 0 never reads C). accumulate = true: C += A*B.
    /// </summary>
    static abstract void Run(int kc, float* a, float* b, float* c, long ldc, float beta, bool accumulate);
}
