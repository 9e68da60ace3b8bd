namespace Engine.Kernels.Cpu;

/// <summary>
/// A register-blocked GEMM inner kernel: C[0..Rows, 0..Columns] (+)= A panel * B panel over kc steps, where the
/// A panel holds Rows consecutive floats per k (or is read in place, see RunDirect) and the B panel Columns consecutive floats per k (both packed,
/// 64-byte aligned, zero-padded at the edges). Implemented by structs so the driver is specialised per kernel.
/// </summary>
internal unsafe interface IGemmMicroKernel
{
    /// <summary>MR: rows of C per call.</summary>
    static abstract int Rows { get; }

    /// <summary>NR: columns of C per call.</summary>
    static abstract int Columns { get; }

    /// <summary>Tile from a packed A panel (Rows floats per k).</summary>
    static abstract void Run(int kc, float* a, float* b, float* c, long ldc, in GemmStore store);

    /// <summary>
    /// Tile reading A straight from row-major storage: row r of the tile at a + r * lda, consecutive k adjacent.
    /// Saves packing A when op(A) is not transposed; all Rows rows must exist.
    /// </summary>
    static abstract void RunDirect(int kc, float* a, long lda, float* b, float* c, long ldc, in GemmStore store);
}
