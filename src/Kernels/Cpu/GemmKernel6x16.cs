// Generated: the unrolled register tiles are regular enough to write by script, too long to write by hand.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels.Cpu;

/// <summary>
/// 6x16 fp32 micro-kernel for machines without AVX-512 (16 ymm registers): 12 accumulators, 2 B vectors,
/// one broadcast; an 8-column narrow variant for the last column panel, 1..5-row variants for the last row panel.
/// </summary>
internal readonly unsafe struct GemmKernel6x16 : IGemmMicroKernel
{
    public static int Rows => 6;
    public static int Columns => 16;
    public static int VectorWidth => 8;

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
            Sse.Prefetch0(cRow1 + 0);
            Sse.Prefetch0(cRow2 + 0);
            Sse.Prefetch0(cRow3 + 0);
            Sse.Prefetch0(cRow4 + 0);
            Sse.Prefetch0(cRow5 + 0);
        }
        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default;
        Vector256<float> c50 = default, c51 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 8);
            var x0 = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(x0, b1, c01);
            var x1 = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(x1, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(x1, b1, c11);
            var x2 = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(x2, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(x2, b1, c21);
            var x3 = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(x3, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(x3, b1, c31);
            var x4 = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(x4, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(x4, b1, c41);
            var x5 = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(x5, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(x5, b1, c51);
            a += 6;
            b += 16;
        }
        Store2(c + 0 * ldc, c00, c01, store);
        Store2(c + 1 * ldc, c10, c11, store);
        Store2(c + 2 * ldc, c20, c21, store);
        Store2(c + 3 * ldc, c30, c31, store);
        Store2(c + 4 * ldc, c40, c41, store);
        Store2(c + 5 * ldc, c50, c51, store);
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
            Sse.Prefetch0(cRow1 + 0);
            Sse.Prefetch0(cRow2 + 0);
            Sse.Prefetch0(cRow3 + 0);
            Sse.Prefetch0(cRow4 + 0);
            Sse.Prefetch0(cRow5 + 0);
        }
        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default;
        Vector256<float> c50 = default, c51 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 8);
            var x0 = Vector256.Create(a0[k]);
            c00 = Vector256.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(x0, b1, c01);
            var x1 = Vector256.Create(a1[k]);
            c10 = Vector256.FusedMultiplyAdd(x1, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(x1, b1, c11);
            var x2 = Vector256.Create(a2[k]);
            c20 = Vector256.FusedMultiplyAdd(x2, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(x2, b1, c21);
            var x3 = Vector256.Create(a3[k]);
            c30 = Vector256.FusedMultiplyAdd(x3, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(x3, b1, c31);
            var x4 = Vector256.Create(a4[k]);
            c40 = Vector256.FusedMultiplyAdd(x4, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(x4, b1, c41);
            var x5 = Vector256.Create(a5[k]);
            c50 = Vector256.FusedMultiplyAdd(x5, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(x5, b1, c51);
            b += 16;
        }
        Store2(c + 0 * ldc, c00, c01, store);
        Store2(c + 1 * ldc, c10, c11, store);
        Store2(c + 2 * ldc, c20, c21, store);
        Store2(c + 3 * ldc, c30, c31, store);
        Store2(c + 4 * ldc, c40, c41, store);
        Store2(c + 5 * ldc, c50, c51, store);
    }

    public static void RunNarrow(int vectors, int kc, float* a, long rowStride, long kStride, float* b, float* c, long ldc,
                                 in GemmStore store)
    {
        switch (vectors)
        {
            case 1: Narrow1(kc, a, rowStride, kStride, b, c, ldc, store); break;
            default: throw new ArgumentOutOfRangeException(nameof(vectors), vectors, "a narrow tile has 1..1 vectors");
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
        Vector256<float> c00 = default, c01 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 8);
            var x0 = Vector256.Create(a0[k * kStride]);
            c00 = Vector256.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(x0, b1, c01);
            b += 16;
        }
        Store2(c + 0 * ldc, c00, c01, store);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows2(int kc, float* a, long rowStride, long kStride, float* b, float* c, long ldc, in GemmStore store)
    {
        float* a0 = a;
        float* a1 = a + 1 * rowStride;
        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 8);
            var x0 = Vector256.Create(a0[k * kStride]);
            c00 = Vector256.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(x0, b1, c01);
            var x1 = Vector256.Create(a1[k * kStride]);
            c10 = Vector256.FusedMultiplyAdd(x1, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(x1, b1, c11);
            b += 16;
        }
        Store2(c + 0 * ldc, c00, c01, store);
        Store2(c + 1 * ldc, c10, c11, store);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows3(int kc, float* a, long rowStride, long kStride, float* b, float* c, long ldc, in GemmStore store)
    {
        float* a0 = a;
        float* a1 = a + 1 * rowStride;
        float* a2 = a + 2 * rowStride;
        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 8);
            var x0 = Vector256.Create(a0[k * kStride]);
            c00 = Vector256.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(x0, b1, c01);
            var x1 = Vector256.Create(a1[k * kStride]);
            c10 = Vector256.FusedMultiplyAdd(x1, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(x1, b1, c11);
            var x2 = Vector256.Create(a2[k * kStride]);
            c20 = Vector256.FusedMultiplyAdd(x2, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(x2, b1, c21);
            b += 16;
        }
        Store2(c + 0 * ldc, c00, c01, store);
        Store2(c + 1 * ldc, c10, c11, store);
        Store2(c + 2 * ldc, c20, c21, store);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows4(int kc, float* a, long rowStride, long kStride, float* b, float* c, long ldc, in GemmStore store)
    {
        float* a0 = a;
        float* a1 = a + 1 * rowStride;
        float* a2 = a + 2 * rowStride;
        float* a3 = a + 3 * rowStride;
        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 8);
            var x0 = Vector256.Create(a0[k * kStride]);
            c00 = Vector256.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(x0, b1, c01);
            var x1 = Vector256.Create(a1[k * kStride]);
            c10 = Vector256.FusedMultiplyAdd(x1, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(x1, b1, c11);
            var x2 = Vector256.Create(a2[k * kStride]);
            c20 = Vector256.FusedMultiplyAdd(x2, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(x2, b1, c21);
            var x3 = Vector256.Create(a3[k * kStride]);
            c30 = Vector256.FusedMultiplyAdd(x3, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(x3, b1, c31);
            b += 16;
        }
        Store2(c + 0 * ldc, c00, c01, store);
        Store2(c + 1 * ldc, c10, c11, store);
        Store2(c + 2 * ldc, c20, c21, store);
        Store2(c + 3 * ldc, c30, c31, store);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows5(int kc, float* a, long rowStride, long kStride, float* b, float* c, long ldc, in GemmStore store)
    {
        float* a0 = a;
        float* a1 = a + 1 * rowStride;
        float* a2 = a + 2 * rowStride;
        float* a3 = a + 3 * rowStride;
        float* a4 = a + 4 * rowStride;
        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 8);
            var x0 = Vector256.Create(a0[k * kStride]);
            c00 = Vector256.FusedMultiplyAdd(x0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(x0, b1, c01);
            var x1 = Vector256.Create(a1[k * kStride]);
            c10 = Vector256.FusedMultiplyAdd(x1, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(x1, b1, c11);
            var x2 = Vector256.Create(a2[k * kStride]);
            c20 = Vector256.FusedMultiplyAdd(x2, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(x2, b1, c21);
            var x3 = Vector256.Create(a3[k * kStride]);
            c30 = Vector256.FusedMultiplyAdd(x3, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(x3, b1, c31);
            var x4 = Vector256.Create(a4[k * kStride]);
            c40 = Vector256.FusedMultiplyAdd(x4, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(x4, b1, c41);
            b += 16;
        }
        Store2(c + 0 * ldc, c00, c01, store);
        Store2(c + 1 * ldc, c10, c11, store);
        Store2(c + 2 * ldc, c20, c21, store);
        Store2(c + 3 * ldc, c30, c31, store);
        Store2(c + 4 * ldc, c40, c41, store);
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
        Vector256<float> c00 = default;
        Vector256<float> c10 = default;
        Vector256<float> c20 = default;
        Vector256<float> c30 = default;
        Vector256<float> c40 = default;
        Vector256<float> c50 = default;
        for (int k = 0; k < kc; k++)
        {
            var b0 = Vector256.Load(b + 0);
            var x0 = Vector256.Create(a0[k * kStride]);
            c00 = Vector256.FusedMultiplyAdd(x0, b0, c00);
            var x1 = Vector256.Create(a1[k * kStride]);
            c10 = Vector256.FusedMultiplyAdd(x1, b0, c10);
            var x2 = Vector256.Create(a2[k * kStride]);
            c20 = Vector256.FusedMultiplyAdd(x2, b0, c20);
            var x3 = Vector256.Create(a3[k * kStride]);
            c30 = Vector256.FusedMultiplyAdd(x3, b0, c30);
            var x4 = Vector256.Create(a4[k * kStride]);
            c40 = Vector256.FusedMultiplyAdd(x4, b0, c40);
            var x5 = Vector256.Create(a5[k * kStride]);
            c50 = Vector256.FusedMultiplyAdd(x5, b0, c50);
            b += 8;
        }
        Store1(c + 0 * ldc, c00, store);
        Store1(c + 1 * ldc, c10, store);
        Store1(c + 2 * ldc, c20, store);
        Store1(c + 3 * ldc, c30, store);
        Store1(c + 4 * ldc, c40, store);
        Store1(c + 5 * ldc, c50, store);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store1(float* c, Vector256<float> v0, in GemmStore store)
    {
        if (store.Alpha != 1)
        {
            var alpha = Vector256.Create(store.Alpha);
            v0 *= alpha;
        }
        if (store.Accumulate)
        {
            Vector256.Store(Vector256.Load(c + 0) + v0, c + 0);
        }
        else if (store.Beta == 0)
        {
            Vector256.Store(v0, c + 0);
        }
        else
        {
            var beta = Vector256.Create(store.Beta);
            Vector256.Store(Vector256.FusedMultiplyAdd(Vector256.Load(c + 0), beta, v0), c + 0);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(float* c, Vector256<float> v0, Vector256<float> v1, in GemmStore store)
    {
        if (store.Alpha != 1)
        {
            var alpha = Vector256.Create(store.Alpha);
            v0 *= alpha;
            v1 *= alpha;
        }
        if (store.Accumulate)
        {
            Vector256.Store(Vector256.Load(c + 0) + v0, c + 0);
            Vector256.Store(Vector256.Load(c + 8) + v1, c + 8);
        }
        else if (store.Beta == 0)
        {
            Vector256.Store(v0, c + 0);
            Vector256.Store(v1, c + 8);
        }
        else
        {
            var beta = Vector256.Create(store.Beta);
            Vector256.Store(Vector256.FusedMultiplyAdd(Vector256.Load(c + 0), beta, v0), c + 0);
            Vector256.Store(Vector256.FusedMultiplyAdd(Vector256.Load(c + 8), beta, v1), c + 8);
        }
    }
}
