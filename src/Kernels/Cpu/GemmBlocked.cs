using System.Runtime.CompilerServices;

namespace Engine.Kernels.Cpu;

/// <summary>
/// The packed, cache-blocked GEMM (Goto/BLIS loop order) over a rectangle of C, single-threaded:
/// for each NC column block and KC depth block, pack op(B) once (it stays in L2/L3); for each MC row block
/// pack op(A) (it stays in L2); then sweep micro-tiles, each B panel reused from L1 across the row panels.
/// A row-major (untransposed) A is not packed at all: the kernel broadcasts straight from its rows, which
/// saves a scalar transpose that would otherwise cost a third of the run time at transformer shapes.
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
        bool directA = !p.TransA;
        float* packedA = GemmWorkspace.PackedA((long)(directA ? mr : RoundUp(mc, mr)) * kc);
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
                GemmPacking.PackB(p, jc, ncb, pc, kcb, nr, TKernel.VectorWidth, packedB);
                for (int ic = m0; ic < m1; ic += mc)
                {
                    int mcb = Math.Min(mc, m1 - ic);
                    int fullRows = directA ? mcb / mr * mr : RoundUp(mcb, mr);
                    // Rows of a ragged M are read in place too, except in the corner tile, which reads whole panels.
                    bool raggedN = ncb % nr != 0;
                    if (directA && fullRows < mcb && raggedN) GemmPacking.PackA(p, ic + fullRows, mcb - fullRows, pc, kcb, mr, packedA);
                    else if (!directA) GemmPacking.PackA(p, ic, mcb, pc, kcb, mr, packedA);
                    for (int jr = 0; jr < ncb; jr += nr)
                    {
                        int columns = Math.Min(nr, ncb - jr);
                        int vectors = (columns + TKernel.VectorWidth - 1) / TKernel.VectorWidth;
                        bool narrow = vectors * TKernel.VectorWidth < nr;
                        float* bPanel = packedB + (long)jr * kcb;
                        for (int ir = 0; ir < mcb; ir += mr)
                        {
                            int rows = Math.Min(mr, mcb - ir);
                            float* c = p.C + (ic + ir) * p.Ldc + jc + jr;
                            bool direct = directA && (ir < fullRows || columns == nr);
                            float* aPanel = direct ? p.AAt(ic + ir, pc) : packedA + (long)(directA ? 0 : ir) * kcb;
                            if (rows == mr && columns == nr)
                            {
                                if (direct) TKernel.RunDirect(kcb, aPanel, p.Lda, bPanel, c, p.Ldc, store);
                                else TKernel.Run(kcb, aPanel, bPanel, c, p.Ldc, store);
                                continue;
                            }
                            long rowStride = direct ? p.Lda : 1, kStride = direct ? 1 : mr;
                            if (columns == nr)
                            {
                                TKernel.RunRows(rows, kcb, aPanel, rowStride, kStride, bPanel, c, p.Ldc, store);
                                continue;
                            }
                            // Edge tile: compute alpha*AB into scratch, then merge the valid corner.
                            if (narrow)
                                TKernel.RunNarrow(vectors, kcb, aPanel, rowStride, kStride, bPanel, tile, nr, tileStore);
                            else if (direct) TKernel.RunDirect(kcb, aPanel, p.Lda, bPanel, tile, nr, tileStore);
                            else TKernel.Run(kcb, aPanel, bPanel, tile, nr, tileStore);
                            MergeTile(tile, nr, c, p.Ldc, rows, columns, store);
                        }
                    }
                }
            }
        }
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
