using System.Runtime.CompilerServices;

namespace Engine.Kernels.Cpu;

/// <summary>
/// The packed, cache-blocked GEMM (Goto/BLIS loop order) over a rectangle of C, single-threaded:
/// for each NC column block and KC depth block, pack op(B) once (it stays in L2/L3); for each MC row block
/// pack op(A) (it stays in L2); then sweep micro-tiles, each B panel reused from L1 across the row panels.
/// A is not packed at all (only a ragged corner tile is): the kernel broadcasts straight from a row-major A's rows,
/// or from a transposed A's columns (the tile's values of one k are contiguous there). Packing cost a third of the run
/// time at transformer shapes for a row-major A, and ~9 % of a training run for the transposed A of weight gradients.
/// </summary>
internal static unsafe class GemmBlocked<TKernel> where TKernel : struct, IGemmMicroKernel
{
    /// <summary>
    /// Block sizes measured on a 2-core Zen 5 (48 KB L1d, 1 MB L2 per core): KC 192..320 and MC 96..384 were within
    /// noise of each other; a KC x 64 B panel of 64 KB streams from L2 fast enough for the 6x64 kernel.
    /// </summary>
    private const int KcMax = 256, McMax = 192, NcMax = 2048;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(in GemmProblem p, int m0, int m1, int n0, int n1)
    {
        int mr = TKernel.Rows, nr = TKernel.Columns;
        int kc = EvenBlock(p.K, KcMax, 1);
        int mc = EvenBlock(m1 - m0, McMax, mr);
        int nc = EvenBlock(n1 - n0, NcMax, nr);
        // A in place: A[r, k] at a[r * aRows + k * aDepth].
        long aRows = p.TransA ? 1 : p.Lda, aDepth = p.TransA ? p.Lda : 1;
        float* packedA = GemmWorkspace.PackedA((long)mr * kc);
        float* packedB = GemmWorkspace.PackedB((long)RoundUp(nc, nr) * kc);
        float* tile = GemmWorkspace.Tile();
        for (int jc = n0; jc < n1; jc += nc)
        {
            int ncb = Math.Min(nc, n1 - jc);
            for (int pc = 0; pc < p.K; pc += kc)
            {
                int kcb = Math.Min(kc, p.K - pc);
                var store = new GemmStore(p.Alpha, p.Beta, Accumulate: pc > 0);
                var tileStore = new GemmStore(p.Alpha, 0f, Accumulate: false);
                float* panels = GemmPacking.InPlaceBPanel(p, jc, ncb, pc, nr, TKernel.VectorWidth);
                if (panels == null)
                {
                    GemmPacking.PackB(p, jc, ncb, pc, kcb, nr, TKernel.VectorWidth, packedB);
                    panels = packedB;
                }
                for (int ic = m0; ic < m1; ic += mc)
                {
                    int mcb = Math.Min(mc, m1 - ic);
                    int fullRows = mcb / mr * mr;
                    // Rows of a ragged M are read in place too, except in the corner tile, which reads whole panels.
                    bool raggedN = ncb % nr != 0;
                    if (fullRows < mcb && raggedN) GemmPacking.PackA(p, ic + fullRows, mcb - fullRows, pc, kcb, mr, packedA);
                    for (int jr = 0; jr < ncb; jr += nr)
                    {
                        int columns = Math.Min(nr, ncb - jr);
                        int vectors = (columns + TKernel.VectorWidth - 1) / TKernel.VectorWidth;
                        bool narrow = vectors * TKernel.VectorWidth < nr;
                        float* bPanel = panels + (long)jr * kcb;
                        for (int ir = 0; ir < mcb; ir += mr)
                        {
                            int rows = Math.Min(mr, mcb - ir);
                            float* c = p.C + (ic + ir) * p.Ldc + jc + jr;
                            bool direct = ir < fullRows || columns == nr;
                            float* aPanel = direct ? p.AAt(ic + ir, pc) : packedA;
                            if (rows == mr && columns == nr)
                            {
                                FullTile(kcb, aPanel, direct, aRows, aDepth, bPanel, c, p.Ldc, store);
                                continue;
                            }
                            long rowStride = direct ? aRows : 1, kStride = direct ? aDepth : mr;
                            if (columns == nr)
                            {
                                TKernel.RunRows(rows, kcb, aPanel, rowStride, kStride, bPanel, c, p.Ldc, store);
                                continue;
                            }
                            if (narrow && rows == mr && columns == vectors * TKernel.VectorWidth)
                            {
                                // Whole vectors (attention's N = 32 against a 64-wide kernel): stored straight into C.
                                TKernel.RunNarrow(vectors, kcb, aPanel, rowStride, kStride, bPanel, c, p.Ldc, store);
                                continue;
                            }
                            // Edge tile: compute alpha*AB into scratch, then merge the valid corner.
                            if (narrow)
                                TKernel.RunNarrow(vectors, kcb, aPanel, rowStride, kStride, bPanel, tile, nr, tileStore);
                            else FullTile(kcb, aPanel, direct, aRows, aDepth, bPanel, tile, nr, tileStore);
                            MergeTile(tile, nr, c, p.Ldc, rows, columns, store);
                        }
                    }
                }
            }
        }
    }

    /// <summary>A full Rows x Columns tile: A read in place (row-major or transposed) or from the packed corner panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FullTile(int kc, float* a, bool direct, long aRows, long aDepth, float* b, float* c, long ldc, in GemmStore store)
    {
        if (!direct) TKernel.Run(kc, a, TKernel.Rows, b, c, ldc, store);
        else if (aDepth == 1) TKernel.RunDirect(kc, a, aRows, b, c, ldc, store);
        else TKernel.Run(kc, a, aDepth, b, c, ldc, store);
    }

    /// <summary>
    /// Writes the valid corner of an edge tile (already scaled by alpha) into C with the store's rule, rounding
    /// exactly as the kernels' vector stores do (beta * C + AB as one fused multiply-add).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MergeTile(float* tile, int ldt, float* c, long ldc, int rows, int columns, in GemmStore store)
    {
        float beta = store.Beta;
        for (int r = 0; r < rows; r++)
        {
            float* from = tile + r * ldt;
            float* to = c + r * ldc;
            if (store.Accumulate) for (int j = 0; j < columns; j++) to[j] += from[j];
            else if (beta == 0) for (int j = 0; j < columns; j++) to[j] = from[j];
            else for (int j = 0; j < columns; j++) to[j] = MathF.FusedMultiplyAdd(to[j], beta, from[j]);
        }
    }

    /// <summary>Splits <paramref name="extent"/> into equal blocks of at most <paramref name="max"/>, rounded up to a multiple of <paramref name="unit"/>.</summary>
    private static int EvenBlock(int extent, int max, int unit)
    {
        if (extent <= 0) return unit;
        int blocks = (extent + max - 1) / max;
        return RoundUp((extent + blocks - 1) / blocks, unit);
    }

    private static int RoundUp(int value, int unit) => (value + unit - 1) / unit * unit;
}
