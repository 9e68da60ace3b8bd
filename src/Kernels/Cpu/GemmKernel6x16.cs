using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels.Cpu;

/// <summary>
/// 6x16 fp32 micro-kernel for AVX2 machines (16 ymm registers): 12 accumulators, 2 B vectors, one broadcast.
/// </summary>
internal readonly unsafe struct GemmKernel6x16 : IGemmMicroKernel
{
    public static int Rows => 6;
    public static int Columns => 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, long ldc, float beta, bool accumulate)
    {
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
            var a0 = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
            a += 6;
            b += 16;
        }
        Store(c + 0 * ldc, c00, c01, beta, accumulate);
        Store(c + 1 * ldc, c10, c11, beta, accumulate);
        Store(c + 2 * ldc, c20, c21, beta, accumulate);
        Store(c + 3 * ldc, c30, c31, beta, accumulate);
        Store(c + 4 * ldc, c40, c41, beta, accumulate);
        Store(c + 5 * ldc, c50, c51, beta, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> v0, Vector256<float> v1, float beta, bool accumulate)
    {
        if (accumulate)
        {
            Vector256.Store(Vector256.Load(c + 0) + v0, c + 0);
            Vector256.Store(Vector256.Load(c + 8) + v1, c + 8);
        }
        else if (beta == 0)
        {
            Vector256.Store(v0, c + 0);
            Vector256.Store(v1, c + 8);
        }
        else
        {
            var scale = Vector256.Create(beta);
            Vector256.Store(Vector256.FusedMultiplyAdd(Vector256.Load(c + 0), scale, v0), c + 0);
            Vector256.Store(Vector256.FusedMultiplyAdd(Vector256.Load(c + 8), scale, v1), c + 8);
        }
    }
}
