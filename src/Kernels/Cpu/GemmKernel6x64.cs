using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels.Cpu;

/// <summary>
/// 6x64 fp32 micro-kernel on AVX-512: 24 zmm accumulators, 4 B vectors and one broadcast A element per row
/// per k step (29 of 32 registers). Per k: 24 FMAs against 4 loads and 6 broadcasts, so two FMA pipes stay busy.
/// </summary>
internal readonly unsafe struct GemmKernel6x64 : IGemmMicroKernel
{
    public static int Rows => 6;
    public static int Columns => 64;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, long ldc, float beta, bool accumulate)
    {
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
            var a0 = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(a0, b2, c02);
            c03 = Vector512.FusedMultiplyAdd(a0, b3, c03);
            var a1 = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(a1, b2, c12);
            c13 = Vector512.FusedMultiplyAdd(a1, b3, c13);
            var a2 = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(a2, b2, c22);
            c23 = Vector512.FusedMultiplyAdd(a2, b3, c23);
            var a3 = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(a3, b2, c32);
            c33 = Vector512.FusedMultiplyAdd(a3, b3, c33);
            var a4 = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            c42 = Vector512.FusedMultiplyAdd(a4, b2, c42);
            c43 = Vector512.FusedMultiplyAdd(a4, b3, c43);
            var a5 = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            c52 = Vector512.FusedMultiplyAdd(a5, b2, c52);
            c53 = Vector512.FusedMultiplyAdd(a5, b3, c53);
            a += 6;
            b += 64;
        }
        Store(c + 0 * ldc, c00, c01, c02, c03, beta, accumulate);
        Store(c + 1 * ldc, c10, c11, c12, c13, beta, accumulate);
        Store(c + 2 * ldc, c20, c21, c22, c23, beta, accumulate);
        Store(c + 3 * ldc, c30, c31, c32, c33, beta, accumulate);
        Store(c + 4 * ldc, c40, c41, c42, c43, beta, accumulate);
        Store(c + 5 * ldc, c50, c51, c52, c53, beta, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3,
                              float beta, bool accumulate)
    {
        if (accumulate)
        {
            Vector512.Store(Vector512.Load(c + 0) + v0, c + 0);
            Vector512.Store(Vector512.Load(c + 16) + v1, c + 16);
            Vector512.Store(Vector512.Load(c + 32) + v2, c + 32);
            Vector512.Store(Vector512.Load(c + 48) + v3, c + 48);
        }
        else if (beta == 0)
        {
            Vector512.Store(v0, c + 0);
            Vector512.Store(v1, c + 16);
            Vector512.Store(v2, c + 32);
            Vector512.Store(v3, c + 48);
        }
        else
        {
            var scale = Vector512.Create(beta);
            Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(c + 0), scale, v0), c + 0);
            Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(c + 16), scale, v1), c + 16);
            Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(c + 32), scale, v2), c + 32);
            Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(c + 48), scale, v3), c + 48);
        }
    }
}
