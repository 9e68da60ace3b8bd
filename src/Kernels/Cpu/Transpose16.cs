using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels.Cpu;

/// <summary>
/// 16x16 fp32 block transpose in AVX-512 registers (unpack 32-bit, unpack 64-bit, two 128-bit lane shuffles:
/// 64 shuffles per 256 elements), used to pack a transposed B at several times the speed of scalar copies.
/// </summary>
internal static unsafe class Transpose16
{
    public static bool IsSupported => Avx512F.IsSupported;

    /// <summary>dst[c * ldd + r] = src[r * lds + c] for r, c in [0, 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block(float* src, long lds, float* dst, long ldd)
    {
        // Rows 4g..4g+3 become u[g, c]: lane l holds column c + 4l of those four rows.
        Span<Vector512<float>> u = stackalloc Vector512<float>[16];
        for (int g = 0; g < 4; g++)
        {
            float* s = src + 4 * g * lds;
            var r0 = Vector512.Load(s);
            var r1 = Vector512.Load(s + lds);
            var r2 = Vector512.Load(s + 2 * lds);
            var r3 = Vector512.Load(s + 3 * lds);
            var t0 = Avx512F.UnpackLow(r0, r1).AsDouble();
            var t1 = Avx512F.UnpackHigh(r0, r1).AsDouble();
            var t2 = Avx512F.UnpackLow(r2, r3).AsDouble();
            var t3 = Avx512F.UnpackHigh(r2, r3).AsDouble();
            u[4 * g + 0] = Avx512F.UnpackLow(t0, t2).AsSingle();
            u[4 * g + 1] = Avx512F.UnpackHigh(t0, t2).AsSingle();
            u[4 * g + 2] = Avx512F.UnpackLow(t1, t3).AsSingle();
            u[4 * g + 3] = Avx512F.UnpackHigh(t1, t3).AsSingle();
        }
        for (int c = 0; c < 4; c++)
        {
            var v = Avx512F.Shuffle4x128(u[c], u[4 + c], 0x88);
            var vh = Avx512F.Shuffle4x128(u[c], u[4 + c], 0xDD);
            var x = Avx512F.Shuffle4x128(u[8 + c], u[12 + c], 0x88);
            var xh = Avx512F.Shuffle4x128(u[8 + c], u[12 + c], 0xDD);
            Vector512.Store(Avx512F.Shuffle4x128(v, x, 0x88), dst + c * ldd);
            Vector512.Store(Avx512F.Shuffle4x128(v, x, 0xDD), dst + (c + 8) * ldd);
            Vector512.Store(Avx512F.Shuffle4x128(vh, xh, 0x88), dst + (c + 4) * ldd);
            Vector512.Store(Avx512F.Shuffle4x128(vh, xh, 0xDD), dst + (c + 12) * ldd);
        }
    }
}
