using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels.Cpu;

/// <summary>
/// result = x·M for a short row x and a matrix M read in place (row stride <c>ldm</c>), in 512-bit vectors: the small
/// products of one attention head, whose operands sit in L1 and are too small for the packed GEMM's setup to pay off.
/// </summary>
internal static unsafe class VectorMatrix
{
    public const int Width = 16;

    /// <summary>Columns rounded up to whole vectors: how far <see cref="Multiply"/> reads M's rows and writes the result.</summary>
    public static int Padded(int columns) => (columns + Width - 1) / Width * Width;

    /// <summary>
    /// result[c] = Σ_r x[r]·m[r·ldm + c] for c &lt; <see cref="Padded"/>(columns): the caller makes that many columns of M
    /// readable (zero padding, or a multiple of 16) and the result that long.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(float* x, int length, float* m, long ldm, int columns, float* result)
    {
        int c = 0, padded = Padded(columns);
        for (; c + 4 * Width <= padded; c += 4 * Width) Four(x, length, m + c, ldm, result + c);
        switch ((padded - c) / Width)
        {
            case 3: Three(x, length, m + c, ldm, result + c); break;
            case 2: Two(x, length, m + c, ldm, result + c); break;
            case 1: One(x, length, m + c, ldm, result + c); break;
        }
    }

    /// <summary>
    /// result[r, c] = Σ_k x[r·ldx + k]·m[k·ldm + c] for r &lt; rows, c &lt; <see cref="Padded"/>(columns): four rows of x at a
    /// time, so each vector of M loaded feeds four multiply-adds (one row at a time is bound by the loads).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyRows(float* x, long ldx, int rows, int length, float* m, long ldm, int columns, float* result, long ldr)
    {
        int padded = Padded(columns), r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            float* xr = x + r * ldx, yr = result + r * ldr;
            int c = 0;
            for (; c + 2 * Width <= padded; c += 2 * Width) FourRowsTwo(xr, ldx, length, m + c, ldm, yr + c, ldr);
            if (c < padded) FourRowsOne(xr, ldx, length, m + c, ldm, yr + c, ldr);
        }
        for (; r < rows; r++) Multiply(x + r * ldx, length, m, ldm, columns, result + r * ldr);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourRowsTwo(float* x, long ldx, int length, float* m, long ldm, float* result, long ldr)
    {
        Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default;
        Vector512<float> c0 = default, c1 = default, d0 = default, d1 = default;
        float* x1 = x + ldx, x2 = x1 + ldx, x3 = x2 + ldx;
        for (int k = 0; k < length; k++)
        {
            float* row = m + k * ldm;
            var m0 = Vector512.Load(row);
            var m1 = Vector512.Load(row + 16);
            var s = Vector512.Create(x[k]);
            a0 = Vector512.FusedMultiplyAdd(s, m0, a0);
            a1 = Vector512.FusedMultiplyAdd(s, m1, a1);
            s = Vector512.Create(x1[k]);
            b0 = Vector512.FusedMultiplyAdd(s, m0, b0);
            b1 = Vector512.FusedMultiplyAdd(s, m1, b1);
            s = Vector512.Create(x2[k]);
            c0 = Vector512.FusedMultiplyAdd(s, m0, c0);
            c1 = Vector512.FusedMultiplyAdd(s, m1, c1);
            s = Vector512.Create(x3[k]);
            d0 = Vector512.FusedMultiplyAdd(s, m0, d0);
            d1 = Vector512.FusedMultiplyAdd(s, m1, d1);
        }
        a0.Store(result); a1.Store(result + 16);
        b0.Store(result + ldr); b1.Store(result + ldr + 16);
        c0.Store(result + 2 * ldr); c1.Store(result + 2 * ldr + 16);
        d0.Store(result + 3 * ldr); d1.Store(result + 3 * ldr + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourRowsOne(float* x, long ldx, int length, float* m, long ldm, float* result, long ldr)
    {
        Vector512<float> a = default, b = default, c = default, d = default;
        float* x1 = x + ldx, x2 = x1 + ldx, x3 = x2 + ldx;
        for (int k = 0; k < length; k++)
        {
            var m0 = Vector512.Load(m + k * ldm);
            a = Vector512.FusedMultiplyAdd(Vector512.Create(x[k]), m0, a);
            b = Vector512.FusedMultiplyAdd(Vector512.Create(x1[k]), m0, b);
            c = Vector512.FusedMultiplyAdd(Vector512.Create(x2[k]), m0, c);
            d = Vector512.FusedMultiplyAdd(Vector512.Create(x3[k]), m0, d);
        }
        a.Store(result); b.Store(result + ldr); c.Store(result + 2 * ldr); d.Store(result + 3 * ldr);
    }

    /// <summary>Three vectors of columns, rows taken two at a time into separate sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Three(float* x, int length, float* m, long ldm, float* result)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, b0 = default, b1 = default, b2 = default;
        int r = 0;
        for (; r + 2 <= length; r += 2)
        {
            float* row = m + r * ldm;
            var s = Vector512.Create(x[r]);
            a0 = Vector512.FusedMultiplyAdd(s, Vector512.Load(row), a0);
            a1 = Vector512.FusedMultiplyAdd(s, Vector512.Load(row + 16), a1);
            a2 = Vector512.FusedMultiplyAdd(s, Vector512.Load(row + 32), a2);
            row += ldm;
            var t = Vector512.Create(x[r + 1]);
            b0 = Vector512.FusedMultiplyAdd(t, Vector512.Load(row), b0);
            b1 = Vector512.FusedMultiplyAdd(t, Vector512.Load(row + 16), b1);
            b2 = Vector512.FusedMultiplyAdd(t, Vector512.Load(row + 32), b2);
        }
        if (r < length)
        {
            float* row = m + r * ldm;
            var s = Vector512.Create(x[r]);
            a0 = Vector512.FusedMultiplyAdd(s, Vector512.Load(row), a0);
            a1 = Vector512.FusedMultiplyAdd(s, Vector512.Load(row + 16), a1);
            a2 = Vector512.FusedMultiplyAdd(s, Vector512.Load(row + 32), a2);
        }
        (a0 + b0).Store(result);
        (a1 + b1).Store(result + 16);
        (a2 + b2).Store(result + 32);
    }

    /// <summary>Two vectors of columns, rows taken four at a time into separate sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Two(float* x, int length, float* m, long ldm, float* result)
    {
        Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default;
        Vector512<float> c0 = default, c1 = default, d0 = default, d1 = default;
        int r = 0;
        for (; r + 4 <= length; r += 4)
        {
            float* row = m + r * ldm;
            var s = Vector512.Create(x[r]);
            a0 = Vector512.FusedMultiplyAdd(s, Vector512.Load(row), a0);
            a1 = Vector512.FusedMultiplyAdd(s, Vector512.Load(row + 16), a1);
            row += ldm;
            var t = Vector512.Create(x[r + 1]);
            b0 = Vector512.FusedMultiplyAdd(t, Vector512.Load(row), b0);
            b1 = Vector512.FusedMultiplyAdd(t, Vector512.Load(row + 16), b1);
            row += ldm;
            var u = Vector512.Create(x[r + 2]);
            c0 = Vector512.FusedMultiplyAdd(u, Vector512.Load(row), c0);
            c1 = Vector512.FusedMultiplyAdd(u, Vector512.Load(row + 16), c1);
            row += ldm;
            var w = Vector512.Create(x[r + 3]);
            d0 = Vector512.FusedMultiplyAdd(w, Vector512.Load(row), d0);
            d1 = Vector512.FusedMultiplyAdd(w, Vector512.Load(row + 16), d1);
        }
        for (; r < length; r++)
        {
            float* row = m + r * ldm;
            var s = Vector512.Create(x[r]);
            a0 = Vector512.FusedMultiplyAdd(s, Vector512.Load(row), a0);
            a1 = Vector512.FusedMultiplyAdd(s, Vector512.Load(row + 16), a1);
        }
        ((a0 + b0) + (c0 + d0)).Store(result);
        ((a1 + b1) + (c1 + d1)).Store(result + 16);
    }

    /// <summary>Four vectors of columns, rows taken two at a time into separate sums (eight independent chains).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Four(float* x, int length, float* m, long ldm, float* result)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        int r = 0;
        for (; r + 2 <= length; r += 2)
        {
            float* row = m + r * ldm;
            var s = Vector512.Create(x[r]);
            a0 = Vector512.FusedMultiplyAdd(s, Vector512.Load(row), a0);
            a1 = Vector512.FusedMultiplyAdd(s, Vector512.Load(row + 16), a1);
            a2 = Vector512.FusedMultiplyAdd(s, Vector512.Load(row + 32), a2);
            a3 = Vector512.FusedMultiplyAdd(s, Vector512.Load(row + 48), a3);
            row += ldm;
            var t = Vector512.Create(x[r + 1]);
            b0 = Vector512.FusedMultiplyAdd(t, Vector512.Load(row), b0);
            b1 = Vector512.FusedMultiplyAdd(t, Vector512.Load(row + 16), b1);
            b2 = Vector512.FusedMultiplyAdd(t, Vector512.Load(row + 32), b2);
            b3 = Vector512.FusedMultiplyAdd(t, Vector512.Load(row + 48), b3);
        }
        if (r < length)
        {
            float* row = m + r * ldm;
            var s = Vector512.Create(x[r]);
            a0 = Vector512.FusedMultiplyAdd(s, Vector512.Load(row), a0);
            a1 = Vector512.FusedMultiplyAdd(s, Vector512.Load(row + 16), a1);
            a2 = Vector512.FusedMultiplyAdd(s, Vector512.Load(row + 32), a2);
            a3 = Vector512.FusedMultiplyAdd(s, Vector512.Load(row + 48), a3);
        }
        (a0 + b0).Store(result);
        (a1 + b1).Store(result + 16);
        (a2 + b2).Store(result + 32);
        (a3 + b3).Store(result + 48);
    }

    /// <summary>One vector of columns, rows taken four at a time into separate sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void One(float* x, int length, float* m, long ldm, float* result)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int r = 0;
        for (; r + 4 <= length; r += 4)
        {
            float* row = m + r * ldm;
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(x[r]), Vector512.Load(row), a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(x[r + 1]), Vector512.Load(row + ldm), a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(x[r + 2]), Vector512.Load(row + 2 * ldm), a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(x[r + 3]), Vector512.Load(row + 3 * ldm), a3);
        }
        for (; r < length; r++) a0 = Vector512.FusedMultiplyAdd(Vector512.Create(x[r]), Vector512.Load(m + r * ldm), a0);
        ((a0 + a1) + (a2 + a3)).Store(result);
    }
}
