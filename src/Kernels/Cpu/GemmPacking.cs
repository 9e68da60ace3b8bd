using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels.Cpu;

/// <summary>
/// Copies blocks of op(A) and op(B) into the panel layout the micro-kernels read: an A panel is
/// <c>rows</c> consecutive floats per k, a B panel <c>columns</c> consecutive floats per k, panels back to
/// back, edges padded with zeros (so edge tiles run the same kernel).
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>Packs op(A)[i0 .. i0+mc, k0 .. k0+kc] into ceil(mc / mr) panels of mr x kc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(in GemmProblem p, int i0, int mc, int k0, int kc, int mr, float* dst)
    {
        for (int panel = 0; panel < mc; panel += mr, dst += (long)mr * kc)
        {
            int rows = Math.Min(mr, mc - panel);
            if (rows < mr) new Span<float>(dst, mr * kc).Clear();
            if (p.TransA)
            {
                // op(A) rows are stored as columns: each k holds the panel's rows contiguously.
                bool sixWide = mr == 6 && rows == 6;
                for (int k = 0; k < kc; k++)
                {
                    float* from = p.AAt(i0 + panel, k0 + k);
                    float* to = dst + k * mr;
                    if (sixWide)
                    {
                        Vector128.Store(Vector128.Load(from), to);
                        *(ulong*)(to + 4) = *(ulong*)(from + 4);
                    }
                    else
                    {
                        for (int r = 0; r < rows; r++) to[r] = from[r];
                    }
                }
            }
            else
            {
                for (int r = 0; r < rows; r++)
                {
                    float* from = p.AAt(i0 + panel + r, k0);
                    float* to = dst + r;
                    for (int k = 0; k < kc; k++) to[k * mr] = from[k];
                }
            }
        }
    }

    /// <summary>
    /// op(B)[k0 .., j0 ..] itself when it is already one packed panel: B not transposed, its columns exactly one panel's
    /// (whole vectors, at most <paramref name="nr"/>), its rows that far apart and aligned — attention's batched
    /// P·V-shaped products, whose 32- or 64-wide B of each small problem would otherwise be copied unchanged. Else null.
    /// </summary>
    public static float* InPlaceBPanel(in GemmProblem p, int j0, int nc, int k0, int nr, int vectorWidth)
    {
        if (p.TransB || nc > nr || nc % vectorWidth != 0 || p.Ldb != nc) return null;
        float* b = p.BAt(k0, j0);
        return ((nint)b & 63) == 0 ? b : null;
    }

    /// <summary>Packs op(B)[k0 .. k0+kc, j0 .. j0+nc] into ceil(nc / nr) panels of kc x nr (the last one possibly narrower).</summary>
    public static void PackB(in GemmProblem p, int j0, int nc, int k0, int kc, int nr, int vectorWidth, float* dst)
    {
        for (int panel = 0; panel < nc; panel += nr)
        {
            int columns = Math.Min(nr, nc - panel);
            // A narrower last panel is only rounded up to whole vectors: the narrow kernels read it at that stride.
            int width = columns == nr ? nr : (columns + vectorWidth - 1) / vectorWidth * vectorWidth;
            PackBPanel(p, j0 + panel, columns, k0, kc, width, dst);
            dst += (long)width * kc;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBPanel(in GemmProblem p, int j0, int columns, int k0, int kc, int nr, float* dst)
    {
        if (columns < nr) new Span<float>(dst, nr * kc).Clear();
        if (p.TransB)
        {
            // op(B) columns are stored as rows: a transpose.
            RegisterTranspose.Matrix(p.BAt(k0, j0), p.Ldb, columns, kc, dst, nr);
            return;
        }
        for (int k = 0; k < kc; k++) ShortRows.Copy(p.BAt(k0 + k, j0), dst + k * nr, columns);
    }
}
