namespace Engine.Kernels.Cpu;

/// <summary>
/// Copies blocks of op(A) and op(B) into the panel layout the micro-kernels read: an A panel is
/// <c>rows</c> consecutive floats per k, a B panel <c>columns</c> consecutive floats per k, panels back to
/// back, edges padded with zeros (so edge tiles run the same kernel). Alpha is folded into A here.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>Packs op(A)[i0 .. i0+mc, k0 .. k0+kc] into ceil(mc / mr) panels of mr x kc.</summary>
    public static void PackA(in GemmProblem p, int i0, int mc, int k0, int kc, int mr, float* dst)
    {
        float alpha = p.Alpha;
        for (int panel = 0; panel < mc; panel += mr, dst += (long)mr * kc)
        {
            int rows = Math.Min(mr, mc - panel);
            if (rows < mr) new Span<float>(dst, mr * kc).Clear();
            if (p.TransA)
            {
                // op(A) rows are stored as columns: each k holds the panel's rows contiguously.
                for (int k = 0; k < kc; k++)
                {
                    float* from = p.AAt(i0 + panel, k0 + k);
                    float* to = dst + k * mr;
                    for (int r = 0; r < rows; r++) to[r] = alpha * from[r];
                }
            }
            else
            {
                for (int r = 0; r < rows; r++)
                {
                    float* from = p.AAt(i0 + panel + r, k0);
                    float* to = dst + r;
                    for (int k = 0; k < kc; k++) to[k * mr] = alpha * from[k];
                }
            }
        }
    }

    /// <summary>Packs op(B)[k0 .. k0+kc, j0 .. j0+nc] into ceil(nc / nr) panels of kc x nr.</summary>
    public static void PackB(in GemmProblem p, int j0, int nc, int k0, int kc, int nr, float* dst)
    {
        for (int panel = 0; panel < nc; panel += nr, dst += (long)nr * kc)
        {
            int columns = Math.Min(nr, nc - panel);
            if (columns < nr) new Span<float>(dst, nr * kc).Clear();
            if (p.TransB)
            {
                for (int j = 0; j < columns; j++)
                {
                    float* from = p.BAt(k0, j0 + panel + j);
                    float* to = dst + j;
                    for (int k = 0; k < kc; k++) to[k * nr] = from[k];
                }
            }
            else
            {
                for (int k = 0; k < kc; k++)
                    new ReadOnlySpan<float>(p.BAt(k0 + k, j0 + panel), columns).CopyTo(new Span<float>(dst + k * nr, columns));
            }
        }
    }
}
