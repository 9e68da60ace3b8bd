// Generated: the unrolled register tiles are regular enough to write by script, too long to write by hand.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels.Cpu;

/// <summary>
/// 6x64 fp32 micro-kernel on AVX-512: 24 zmm accumulators, 4 B vectors and one broadcast A element per row
/// per k step (29 of 32 registers). Per k: 24 FMAs against 4 loads and 6 broadcasts, so both FMA pipes stay busy.
/// Narrow variants (16, 32, 48 columns) serve the last column panel so a ragged N does not pay for 64 columns,
/// short ones (1..5 rows) the last row panel of a ragged M.
/// </summary>
internal readonly unsafe struct GemmKernel6x64 : IGemmMicroKernel
{
    public static int Rows => 6;
    public static int Columns => 64;
    public static int VectorWidth => 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, long ldc, in GemmStore store)
    {
        // Start fetching the C tile now: its lines are needed only after the k loop, and would stall it there.
        float* cRow0 = c + 0 * ldc;
        float* cRow1 = c + 1 * ldc;
        float* cRow2 = c + 2 * ldc;
        float* cRow3 = c + 3 * ldc;
        float* cRow4 = c + 4 * ldc;
        float* cRow5 = c + 5 * ldc;
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(cRow0 + 0);
            Sse.Prefetch0(cRow0 + 16);
            Sse.Prefetch0(cRow0 + 32);
            Sse.Prefetch0(cRow0 + 48);
            Sse.Prefetch0(cRow1 + 0);
            Sse.Prefetch0(cRow1 + 16);
            Sse.Prefetch0(cRow1 + 32);
            Sse.Prefetch0(cRow1 + 48);
            Sse.Prefetch0(cRow2 + 0);
            Sse.Prefetch0(cRow2 + 16);
            Sse.Prefetch0(cRow2 + 32);
            Sse.Prefetch0(cRow2 + 48);
            Sse.Prefetch0(cRow3 + 0);
            Sse.Prefetch0(cRow3 + 16);
            Sse.Prefetch0(cRow3 + 32);
            Sse.Prefetch0(cRow3 + 48);
            Sse.Prefetch0(cRow4 + 0);
            Sse.Prefetch0(cRow4 + 16);
            Sse.Prefetch0(cRow4 + 32);
            Sse.Prefetch0(cRow4 + 48);
            Sse.Prefetch0(cRow5 + 0);
            Sse.Prefetch0(cRow5 + 16);
            Sse.Prefetch0(cRow5 + 32);
            Sse.Prefetch0(cRow5 + 48);
        }
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector512<float> c50 = default, c51 = default, c52 = default, c53 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.LoadAligned(b + 0);
            var b1 = Vector512.LoadAligned(b + 16);
            var b2 = Vector512.LoadAligned(b + 32);
            var b3 = Vector512.LoadAligned(b + 48);
            var x0 = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x0, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(x0, b2, c02);
            c03 = Vector512.FusedMultiplyAdd(x0, b3, c03);
            var x1 = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(x1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x1, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(x1, b2, c12);
            c13 = Vector512.FusedMultiplyAdd(x1, b3, c13);
            var x2 = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(x2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x2, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(x2, b2, c22);
            c23 = Vector512.FusedMultiplyAdd(x2, b3, c23);
            var x3 = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(x3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x3, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(x3, b2, c32);
            c33 = Vector512.FusedMultiplyAdd(x3, b3, c33);
            var x4 = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(x4, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x4, b1, c41);
            c42 = Vector512.FusedMultiplyAdd(x4, b2, c42);
            c43 = Vector512.FusedMultiplyAdd(x4, b3, c43);
            var x5 = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(x5, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x5, b1, c51);
            c52 = Vector512.FusedMultiplyAdd(x5, b2, c52);
            c53 = Vector512.FusedMultiplyAdd(x5, b3, c53);
            a += 6;
            b += 64;
        }
        Store4(c + 0 * ldc, c00, c01, c02, c03, store);
        Store4(c + 1 * ldc, c10, c11, c12, c13, store);
        Store4(c + 2 * ldc, c20, c21, c22, c23, store);
        Store4(c + 3 * ldc, c30, c31, c32, c33, store);
        Store4(c + 4 * ldc, c40, c41, c42, c43, store);
        Store4(c + 5 * ldc, c50, c51, c52, c53, store);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunDirect(int kc, float* a, long lda, float* b, float* c, long ldc, in GemmStore store)
    {
        float* a0 = a;
        float* a1 = a + 1 * lda;
        float* a2 = a + 2 * lda;
        float* a3 = a + 3 * lda;
        float* a4 = a + 4 * lda;
        float* a5 = a + 5 * lda;
        // Start fetching the C tile now: its lines are needed only after the k loop, and would stall it there.
        float* cRow0 = c + 0 * ldc;
        float* cRow1 = c + 1 * ldc;
        float* cRow2 = c + 2 * ldc;
        float* cRow3 = c + 3 * ldc;
        float* cRow4 = c + 4 * ldc;
        float* cRow5 = c + 5 * ldc;
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(cRow0 + 0);
            Sse.Prefetch0(cRow0 + 16);
            Sse.Prefetch0(cRow0 + 32);
            Sse.Prefetch0(cRow0 + 48);
            Sse.Prefetch0(cRow1 + 0);
            Sse.Prefetch0(cRow1 + 16);
            Sse.Prefetch0(cRow1 + 32);
            Sse.Prefetch0(cRow1 + 48);
            Sse.Prefetch0(cRow2 + 0);
            Sse.Prefetch0(cRow2 + 16);
            Sse.Prefetch0(cRow2 + 32);
            Sse.Prefetch0(cRow2 + 48);
            Sse.Prefetch0(cRow3 + 0);
            Sse.Prefetch0(cRow3 + 16);
            Sse.Prefetch0(cRow3 + 32);
            Sse.Prefetch0(cRow3 + 48);
            Sse.Prefetch0(cRow4 + 0);
            Sse.Prefetch0(cRow4 + 16);
            Sse.Prefetch0(cRow4 + 32);
            Sse.Prefetch0(cRow4 + 48);
            Sse.Prefetch0(cRow5 + 0);
            Sse.Prefetch0(cRow5 + 16);
            Sse.Prefetch0(cRow5 + 32);
            Sse.Prefetch0(cRow5 + 48);
        }
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector512<float> c50 = default, c51 = default, c52 = default, c53 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.LoadAligned(b + 0);
            var b1 = Vector512.LoadAligned(b + 16);
            var b2 = Vector512.LoadAligned(b + 32);
            var b3 = Vector512.LoadAligned(b + 48);
            var x0 = Vector512.Create(a0[k]);
            c00 = Vector512.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x0, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(x0, b2, c02);
            c03 = Vector512.FusedMultiplyAdd(x0, b3, c03);
            var x1 = Vector512.Create(a1[k]);
            c10 = Vector512.FusedMultiplyAdd(x1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x1, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(x1, b2, c12);
            c13 = Vector512.FusedMultiplyAdd(x1, b3, c13);
            var x2 = Vector512.Create(a2[k]);
            c20 = Vector512.FusedMultiplyAdd(x2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x2, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(x2, b2, c22);
            c23 = Vector512.FusedMultiplyAdd(x2, b3, c23);
            var x3 = Vector512.Create(a3[k]);
            c30 = Vector512.FusedMultiplyAdd(x3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x3, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(x3, b2, c32);
            c33 = Vector512.FusedMultiplyAdd(x3, b3, c33);
            var x4 = Vector512.Create(a4[k]);
            c40 = Vector512.FusedMultiplyAdd(x4, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x4, b1, c41);
            c42 = Vector512.FusedMultiplyAdd(x4, b2, c42);
            c43 = Vector512.FusedMultiplyAdd(x4, b3, c43);
            var x5 = Vector512.Create(a5[k]);
            c50 = Vector512.FusedMultiplyAdd(x5, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x5, b1, c51);
            c52 = Vector512.FusedMultiplyAdd(x5, b2, c52);
            c53 = Vector512.FusedMultiplyAdd(x5, b3, c53);
            b += 64;
        }
        Store4(c + 0 * ldc, c00, c01, c02, c03, store);
        Store4(c + 1 * ldc, c10, c11, c12, c13, store);
        Store4(c + 2 * ldc, c20, c21, c22, c23, store);
        Store4(c + 3 * ldc, c30, c31, c32, c33, store);
        Store4(c + 4 * ldc, c40, c41, c42, c43, store);
        Store4(c + 5 * ldc, c50, c51, c52, c53, store);
    }

    public static void RunNarrow(int vectors, int kc, float* a, long rowStride, long kStride, float* b, float* c, long ldc,
                                 in GemmStore store)
    {
        switch (vectors)
        {
            case 1: Narrow1(kc, a, rowStride, kStride, b, c, ldc, store); break;
            case 2: Narrow2(kc, a, rowStride, kStride, b, c, ldc, store); break;
            case 3: Narrow3(kc, a, rowStride, kStride, b, c, ldc, store); break;
            default: throw new ArgumentOutOfRangeException(nameof(vectors), vectors, "a narrow tile has 1..3 vectors");
        }
    }

    public static void RunRows(int rows, int kc, float* a, long rowStride, long kStride, float* b, float* c, long ldc,
                               in GemmStore store)
    {
        switch (rows)
        {
            case 1: Rows1(kc, a, rowStride, kStride, b, c, ldc, store); break;
            case 2: Rows2(kc, a, rowStride, kStride, b, c, ldc, store); break;
            case 3: Rows3(kc, a, rowStride, kStride, b, c, ldc, store); break;
            case 4: Rows4(kc, a, rowStride, kStride, b, c, ldc, store); break;
            case 5: Rows5(kc, a, rowStride, kStride, b, c, ldc, store); break;
            default: throw new ArgumentOutOfRangeException(nameof(rows), rows, "a short tile has 1..5 rows");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows1(int kc, float* a, long rowStride, long kStride, float* b, float* c, long ldc, in GemmStore store)
    {
        float* a0 = a;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.LoadAligned(b + 0);
            var b1 = Vector512.LoadAligned(b + 16);
            var b2 = Vector512.LoadAligned(b + 32);
            var b3 = Vector512.LoadAligned(b + 48);
            var x0 = Vector512.Create(a0[k * kStride]);
            c00 = Vector512.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x0, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(x0, b2, c02);
            c03 = Vector512.FusedMultiplyAdd(x0, b3, c03);
            b += 64;
        }
        Store4(c + 0 * ldc, c00, c01, c02, c03, store);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows2(int kc, float* a, long rowStride, long kStride, float* b, float* c, long ldc, in GemmStore store)
    {
        float* a0 = a;
        float* a1 = a + 1 * rowStride;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.LoadAligned(b + 0);
            var b1 = Vector512.LoadAligned(b + 16);
            var b2 = Vector512.LoadAligned(b + 32);
            var b3 = Vector512.LoadAligned(b + 48);
            var x0 = Vector512.Create(a0[k * kStride]);
            c00 = Vector512.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x0, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(x0, b2, c02);
            c03 = Vector512.FusedMultiplyAdd(x0, b3, c03);
            var x1 = Vector512.Create(a1[k * kStride]);
            c10 = Vector512.FusedMultiplyAdd(x1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x1, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(x1, b2, c12);
            c13 = Vector512.FusedMultiplyAdd(x1, b3, c13);
            b += 64;
        }
        Store4(c + 0 * ldc, c00, c01, c02, c03, store);
        Store4(c + 1 * ldc, c10, c11, c12, c13, store);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows3(int kc, float* a, long rowStride, long kStride, float* b, float* c, long ldc, in GemmStore store)
    {
        float* a0 = a;
        float* a1 = a + 1 * rowStride;
        float* a2 = a + 2 * rowStride;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.LoadAligned(b + 0);
            var b1 = Vector512.LoadAligned(b + 16);
            var b2 = Vector512.LoadAligned(b + 32);
            var b3 = Vector512.LoadAligned(b + 48);
            var x0 = Vector512.Create(a0[k * kStride]);
            c00 = Vector512.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x0, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(x0, b2, c02);
            c03 = Vector512.FusedMultiplyAdd(x0, b3, c03);
            var x1 = Vector512.Create(a1[k * kStride]);
            c10 = Vector512.FusedMultiplyAdd(x1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x1, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(x1, b2, c12);
            c13 = Vector512.FusedMultiplyAdd(x1, b3, c13);
            var x2 = Vector512.Create(a2[k * kStride]);
            c20 = Vector512.FusedMultiplyAdd(x2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x2, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(x2, b2, c22);
            c23 = Vector512.FusedMultiplyAdd(x2, b3, c23);
            b += 64;
        }
        Store4(c + 0 * ldc, c00, c01, c02, c03, store);
        Store4(c + 1 * ldc, c10, c11, c12, c13, store);
        Store4(c + 2 * ldc, c20, c21, c22, c23, store);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows4(int kc, float* a, long rowStride, long kStride, float* b, float* c, long ldc, in GemmStore store)
    {
        float* a0 = a;
        float* a1 = a + 1 * rowStride;
        float* a2 = a + 2 * rowStride;
        float* a3 = a + 3 * rowStride;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.LoadAligned(b + 0);
            var b1 = Vector512.LoadAligned(b + 16);
            var b2 = Vector512.LoadAligned(b + 32);
            var b3 = Vector512.LoadAligned(b + 48);
            var x0 = Vector512.Create(a0[k * kStride]);
            c00 = Vector512.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x0, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(x0, b2, c02);
            c03 = Vector512.FusedMultiplyAdd(x0, b3, c03);
            var x1 = Vector512.Create(a1[k * kStride]);
            c10 = Vector512.FusedMultiplyAdd(x1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x1, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(x1, b2, c12);
            c13 = Vector512.FusedMultiplyAdd(x1, b3, c13);
            var x2 = Vector512.Create(a2[k * kStride]);
            c20 = Vector512.FusedMultiplyAdd(x2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x2, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(x2, b2, c22);
            c23 = Vector512.FusedMultiplyAdd(x2, b3, c23);
            var x3 = Vector512.Create(a3[k * kStride]);
            c30 = Vector512.FusedMultiplyAdd(x3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x3, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(x3, b2, c32);
            c33 = Vector512.FusedMultiplyAdd(x3, b3, c33);
            b += 64;
        }
        Store4(c + 0 * ldc, c00, c01, c02, c03, store);
        Store4(c + 1 * ldc, c10, c11, c12, c13, store);
        Store4(c + 2 * ldc, c20, c21, c22, c23, store);
        Store4(c + 3 * ldc, c30, c31, c32, c33, store);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows5(int kc, float* a, long rowStride, long kStride, float* b, float* c, long ldc, in GemmStore store)
    {
        float* a0 = a;
        float* a1 = a + 1 * rowStride;
        float* a2 = a + 2 * rowStride;
        float* a3 = a + 3 * rowStride;
        float* a4 = a + 4 * rowStride;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.LoadAligned(b + 0);
            var b1 = Vector512.LoadAligned(b + 16);
            var b2 = Vector512.LoadAligned(b + 32);
            var b3 = Vector512.LoadAligned(b + 48);
            var x0 = Vector512.Create(a0[k * kStride]);
            c00 = Vector512.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x0, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(x0, b2, c02);
            c03 = Vector512.FusedMultiplyAdd(x0, b3, c03);
            var x1 = Vector512.Create(a1[k * kStride]);
            c10 = Vector512.FusedMultiplyAdd(x1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x1, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(x1, b2, c12);
            c13 = Vector512.FusedMultiplyAdd(x1, b3, c13);
            var x2 = Vector512.Create(a2[k * kStride]);
            c20 = Vector512.FusedMultiplyAdd(x2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x2, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(x2, b2, c22);
            c23 = Vector512.FusedMultiplyAdd(x2, b3, c23);
            var x3 = Vector512.Create(a3[k * kStride]);
            c30 = Vector512.FusedMultiplyAdd(x3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x3, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(x3, b2, c32);
            c33 = Vector512.FusedMultiplyAdd(x3, b3, c33);
            var x4 = Vector512.Create(a4[k * kStride]);
            c40 = Vector512.FusedMultiplyAdd(x4, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x4, b1, c41);
            c42 = Vector512.FusedMultiplyAdd(x4, b2, c42);
            c43 = Vector512.FusedMultiplyAdd(x4, b3, c43);
            b += 64;
        }
        Store4(c + 0 * ldc, c00, c01, c02, c03, store);
        Store4(c + 1 * ldc, c10, c11, c12, c13, store);
        Store4(c + 2 * ldc, c20, c21, c22, c23, store);
        Store4(c + 3 * ldc, c30, c31, c32, c33, store);
        Store4(c + 4 * ldc, c40, c41, c42, c43, store);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Narrow1(int kc, float* a, long rowStride, long kStride, float* b, float* c, long ldc, in GemmStore store)
    {
        float* a0 = a;
        float* a1 = a + 1 * rowStride;
        float* a2 = a + 2 * rowStride;
        float* a3 = a + 3 * rowStride;
        float* a4 = a + 4 * rowStride;
        float* a5 = a + 5 * rowStride;
        Vector512<float> c00 = default;
        Vector512<float> c10 = default;
        Vector512<float> c20 = default;
        Vector512<float> c30 = default;
        Vector512<float> c40 = default;
        Vector512<float> c50 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.LoadAligned(b + 0);
            var x0 = Vector512.Create(a0[k * kStride]);
            c00 = Vector512.FusedMultiplyAdd(x0, b0, c00);
            var x1 = Vector512.Create(a1[k * kStride]);
            c10 = Vector512.FusedMultiplyAdd(x1, b0, c10);
            var x2 = Vector512.Create(a2[k * kStride]);
            c20 = Vector512.FusedMultiplyAdd(x2, b0, c20);
            var x3 = Vector512.Create(a3[k * kStride]);
            c30 = Vector512.FusedMultiplyAdd(x3, b0, c30);
            var x4 = Vector512.Create(a4[k * kStride]);
            c40 = Vector512.FusedMultiplyAdd(x4, b0, c40);
            var x5 = Vector512.Create(a5[k * kStride]);
            c50 = Vector512.FusedMultiplyAdd(x5, b0, c50);
            b += 16;
        }
        Store1(c + 0 * ldc, c00, store);
        Store1(c + 1 * ldc, c10, store);
        Store1(c + 2 * ldc, c20, store);
        Store1(c + 3 * ldc, c30, store);
        Store1(c + 4 * ldc, c40, store);
        Store1(c + 5 * ldc, c50, store);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Narrow2(int kc, float* a, long rowStride, long kStride, float* b, float* c, long ldc, in GemmStore store)
    {
        float* a0 = a;
        float* a1 = a + 1 * rowStride;
        float* a2 = a + 2 * rowStride;
        float* a3 = a + 3 * rowStride;
        float* a4 = a + 4 * rowStride;
        float* a5 = a + 5 * rowStride;
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.LoadAligned(b + 0);
            var b1 = Vector512.LoadAligned(b + 16);
            var x0 = Vector512.Create(a0[k * kStride]);
            c00 = Vector512.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x0, b1, c01);
            var x1 = Vector512.Create(a1[k * kStride]);
            c10 = Vector512.FusedMultiplyAdd(x1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x1, b1, c11);
            var x2 = Vector512.Create(a2[k * kStride]);
            c20 = Vector512.FusedMultiplyAdd(x2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x2, b1, c21);
            var x3 = Vector512.Create(a3[k * kStride]);
            c30 = Vector512.FusedMultiplyAdd(x3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x3, b1, c31);
            var x4 = Vector512.Create(a4[k * kStride]);
            c40 = Vector512.FusedMultiplyAdd(x4, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x4, b1, c41);
            var x5 = Vector512.Create(a5[k * kStride]);
            c50 = Vector512.FusedMultiplyAdd(x5, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x5, b1, c51);
            b += 32;
        }
        Store2(c + 0 * ldc, c00, c01, store);
        Store2(c + 1 * ldc, c10, c11, store);
        Store2(c + 2 * ldc, c20, c21, store);
        Store2(c + 3 * ldc, c30, c31, store);
        Store2(c + 4 * ldc, c40, c41, store);
        Store2(c + 5 * ldc, c50, c51, store);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Narrow3(int kc, float* a, long rowStride, long kStride, float* b, float* c, long ldc, in GemmStore store)
    {
        float* a0 = a;
        float* a1 = a + 1 * rowStride;
        float* a2 = a + 2 * rowStride;
        float* a3 = a + 3 * rowStride;
        float* a4 = a + 4 * rowStride;
        float* a5 = a + 5 * rowStride;
        Vector512<float> c00 = default, c01 = default, c02 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default;
        Vector512<float> c50 = default, c51 = default, c52 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector512.LoadAligned(b + 0);
            var b1 = Vector512.LoadAligned(b + 16);
            var b2 = Vector512.LoadAligned(b + 32);
            var x0 = Vector512.Create(a0[k * kStride]);
            c00 = Vector512.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x0, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(x0, b2, c02);
            var x1 = Vector512.Create(a1[k * kStride]);
            c10 = Vector512.FusedMultiplyAdd(x1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x1, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(x1, b2, c12);
            var x2 = Vector512.Create(a2[k * kStride]);
            c20 = Vector512.FusedMultiplyAdd(x2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x2, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(x2, b2, c22);
            var x3 = Vector512.Create(a3[k * kStride]);
            c30 = Vector512.FusedMultiplyAdd(x3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x3, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(x3, b2, c32);
            var x4 = Vector512.Create(a4[k * kStride]);
            c40 = Vector512.FusedMultiplyAdd(x4, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x4, b1, c41);
            c42 = Vector512.FusedMultiplyAdd(x4, b2, c42);
            var x5 = Vector512.Create(a5[k * kStride]);
            c50 = Vector512.FusedMultiplyAdd(x5, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x5, b1, c51);
            c52 = Vector512.FusedMultiplyAdd(x5, b2, c52);
            b += 48;
        }
        Store3(c + 0 * ldc, c00, c01, c02, store);
        Store3(c + 1 * ldc, c10, c11, c12, store);
        Store3(c + 2 * ldc, c20, c21, c22, store);
        Store3(c + 3 * ldc, c30, c31, c32, store);
        Store3(c + 4 * ldc, c40, c41, c42, store);
        Store3(c + 5 * ldc, c50, c51, c52, store);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store1(float* c, Vector512<float> v0, in GemmStore store)
    {
        if (store.Alpha != 1)
        {
            var alpha = Vector512.Create(store.Alpha);
            v0 *= alpha;
        }
        if (store.Accumulate)
        {
            Vector512.Store(Vector512.Load(c + 0) + v0, c + 0);
        }
        else if (store.Beta == 0)
        {
            Vector512.Store(v0, c + 0);
        }
        else
        {
            var beta = Vector512.Create(store.Beta);
            Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(c + 0), beta, v0), c + 0);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(float* c, Vector512<float> v0, Vector512<float> v1, in GemmStore store)
    {
        if (store.Alpha != 1)
        {
            var alpha = Vector512.Create(store.Alpha);
            v0 *= alpha;
            v1 *= alpha;
        }
        if (store.Accumulate)
        {
            Vector512.Store(Vector512.Load(c + 0) + v0, c + 0);
            Vector512.Store(Vector512.Load(c + 16) + v1, c + 16);
        }
        else if (store.Beta == 0)
        {
            Vector512.Store(v0, c + 0);
            Vector512.Store(v1, c + 16);
        }
        else
        {
            var beta = Vector512.Create(store.Beta);
            Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(c + 0), beta, v0), c + 0);
            Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(c + 16), beta, v1), c + 16);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store3(float* c, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, in GemmStore store)
    {
        if (store.Alpha != 1)
        {
            var alpha = Vector512.Create(store.Alpha);
            v0 *= alpha;
            v1 *= alpha;
            v2 *= alpha;
        }
        if (store.Accumulate)
        {
            Vector512.Store(Vector512.Load(c + 0) + v0, c + 0);
            Vector512.Store(Vector512.Load(c + 16) + v1, c + 16);
            Vector512.Store(Vector512.Load(c + 32) + v2, c + 32);
        }
        else if (store.Beta == 0)
        {
            Vector512.Store(v0, c + 0);
            Vector512.Store(v1, c + 16);
            Vector512.Store(v2, c + 32);
        }
        else
        {
            var beta = Vector512.Create(store.Beta);
            Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(c + 0), beta, v0), c + 0);
            Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(c + 16), beta, v1), c + 16);
            Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(c + 32), beta, v2), c + 32);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(float* c, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, in GemmStore store)
    {
        if (store.Alpha != 1)
        {
            var alpha = Vector512.Create(store.Alpha);
            v0 *= alpha;
            v1 *= alpha;
            v2 *= alpha;
            v3 *= alpha;
        }
        if (store.Accumulate)
        {
            Vector512.Store(Vector512.Load(c + 0) + v0, c + 0);
            Vector512.Store(Vector512.Load(c + 16) + v1, c + 16);
            Vector512.Store(Vector512.Load(c + 32) + v2, c + 32);
            Vector512.Store(Vector512.Load(c + 48) + v3, c + 48);
        }
        else if (store.Beta == 0)
        {
            Vector512.Store(v0, c + 0);
            Vector512.Store(v1, c + 16);
            Vector512.Store(v2, c + 32);
            Vector512.Store(v3, c + 48);
        }
        else
        {
            var beta = Vector512.Create(store.Beta);
            Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(c + 0), beta, v0), c + 0);
            Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(c + 16), beta, v1), c + 16);
            Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(c + 32), beta, v2), c + 32);
            Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(c + 48), beta, v3), c + 48);
        }
    }
}
