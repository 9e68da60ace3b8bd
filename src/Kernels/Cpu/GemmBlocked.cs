namespace Engine.Kernels.Cpu;

/// <summary>
/// The packed, cache-blocked GEMM (Goto/BLIS loop order) over a rectangle of C, single-threaded:
/// for each NC column block and KC depth block, pack op(B) once (it stays in L2/L3); for each MC row block
/// pack op(A) (it stays in L2); then sweep micro-tiles, each B panel reused from L1 across the row panels.
/// </summary>
internal static unsafe class GemmBlocked<TKernel> where TKernel : struct, IGemmMicroKernel
{
    public static int KcMax = 256, McMax = 192, NcMax = 2048;

    public static void Run(in GemmProblem p, int m0, int m1, int n0, int n1)
    {
        int mr = TKernel.Rows, nr = TKernel.Columns;
        int kc = EvenBlock(p.K, KcMax, 1);
        int mc = EvenBlock(m1 - m0, McMax, mr);
        int nc = EvenBlock(n1 - n0, NcMax, nr);
        float* packedA = GemmWorkspace.PackedA((long)RoundUp(mc, mr) * kc);
        float* packedB = GemmWorkspace.PackedB((long)RoundUp(nc, nr) * kc);
        float* tile = GemmWorkspace.Tile();
        for (int jc = n0; jc < n1; jc += nc)
        {
            int ncb = Math.Min(nc, n1 - jc);
            for (int pc = 0; pc < p.K; pc += kc)
            {
                int kcb = Math.Min(kc, p.K - pc);
                bool accumulate = pc > 0;
                GemmPacking.PackB(p, jc, ncb, pc, kcb, nr, packedB);
                for (int ic = m0; ic < m1; ic += mc)
                {
                    int mcb = Math.Min(mc, m1 - ic);
                    GemmPacking.PackA(p, ic, mcb, pc, kcb, mr, packedA);
                    for (int jr = 0; jr < ncb; jr += nr)
                    {
                        int columns = Math.Min(nr, ncb - jr);
                        float* bPanel = packedB + (long)jr * kcb;
                        for (int ir = 0; ir < mcb; ir += mr)
                        {
                            int rows = Math.Min(mr, mcb - ir);
                            float* aPanel = packedA + (long)ir * kcb;
                            float* c = p.C + (ic + ir) * p.Ldc + jc + jr;
                            if (rows == mr && columns == nr)
                            {
                                TKernel.Run(kcb, aPanel, bPanel, c, p.Ldc, p.Beta, accumulate);
                            }
                            else
                            {
                                TKernel.Run(kcb, aPanel, bPanel, tile, nr, 0f, false);
                                MergeTile(tile, nr, c, p.Ldc, rows, columns, p.Beta, accumulate);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Writes the valid corner of an edge tile into C with the same rule the kernel applies.</summary>
    private static void MergeTile(float* tile, int ldt, float* c, long ldc, int rows, int columns, float beta, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            float* from = tile + r * ldt;
            float* to = c + r * ldc;
            if (accumulate) for (int j = 0; j < columns; j++) to[j] += from[j];
            else if (beta == 0) for (int j = 0; j < columns; j++) to[j] = from[j];
            else for (int j = 0; j < columns; j++) to[j] = beta * to[j] + from[j];
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
