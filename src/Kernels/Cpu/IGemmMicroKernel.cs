namespace Engine.Kernels.Cpu;

/// <summary>
/// A register-blocked GEMM inner kernel: a Rows x Columns tile of C from kc steps of A (Rows values per k) times
/// a packed B panel (Columns consecutive floats per k, 64-byte aligned). Implemented by structs so the driver is
/// compiled once per kernel with every call resolved statically.
/// </summary>
internal unsafe interface IGemmMicroKernel
{
    /// <summary>MR: rows of C per call.</summary>
    static abstract int Rows { get; }

    /// <summary>NR: columns of C per call, a multiple of <see cref="VectorWidth"/>.</summary>
    static abstract int Columns { get; }

    /// <summary>Floats per SIMD register.</summary>
    static abstract int VectorWidth { get; }

    /// <summary>
    /// Full tile with the tile's Rows values of A contiguous at each k: A[r, k] at a[k * kStride + r] — a packed panel
    /// (kStride = Rows), or a transposed A read in place (kStride = its leading dimension).
    /// </summary>
    static abstract void Run(int kc, float* a, long kStride, float* b, float* c, long ldc, in GemmStore store);

    /// <summary>Full tile reading row-major A in place: A[r, k] at a[r * lda + k] (saves packing A).</summary>
    static abstract void RunDirect(int kc, float* a, long lda, float* b, float* c, long ldc, in GemmStore store);

    /// <summary>
    /// Tile of only <paramref name="vectors"/> * VectorWidth columns (fewer than Columns; the B panel is that wide),
    /// A[r, k] at a[r * rowStride + k * kStride]: the last column panel of a ragged N.
    /// </summary>
    static abstract void RunNarrow(int vectors, int kc, float* a, long rowStride, long kStride, float* b, float* c, long ldc,
                                   in GemmStore store);

    /// <summary>
    /// Full-width tile of only <paramref name="rows"/> rows (fewer than Rows), A[r, k] at a[r * rowStride + k * kStride]:
    /// the last row panel of a ragged M, written straight to C.
    /// </summary>
    static abstract void RunRows(int rows, int kc, float* a, long rowStride, long kStride, float* b, float* c, long ldc,
                                 in GemmStore store);
}
