using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels.Cpu;

/// <summary>
/// fp32 matrix transpose in register blocks: 16x16 with AVX-512 (unpack 32-bit, unpack 64-bit, two 128-bit lane
/// shuffles: 64 shuffles per 256 elements), 8x8 with AVX (unpack, shuffle, one 128-bit lane permute: 24 per 64), used
/// to pack a transposed B and to copy transposed views at several times the speed of scalar copies.
/// </summary>
internal static unsafe class RegisterTranspose
{
    /// <summary>Rows and columns of a register block: 16 with AVX-512, 8 with AVX, 0 (element by element) without.</summary>
    public static int BlockSize { get; } = Avx512F.IsSupported ? 16 : Avx.IsSupported ? 8 : 0;

    public static bool IsSupported => BlockSize > 0;

    /// <summary>
    /// dst[c * ldd + r] = src[r * lds + c] for r &lt; rows, c &lt; cols: whole blocks in registers, the ragged edges
    /// element by element.
    /// </summary>
    public static void Matrix(float* src, long lds, long rows, long cols, float* dst, long ldd)
    {
        int b = BlockSize;
        long fullRows = b > 0 ? rows / b * b : 0, fullCols = b > 0 ? cols / b * b : 0;
        for (long c = 0; c < fullCols; c += b)
            for (long r = 0; r < fullRows; r += b)
                if (b == 16) Block16(src + r * lds + c, lds, dst + c * ldd + r, ldd);
                else Block8(src + r * lds + c, lds, dst + c * ldd + r, ldd);
        for (long c = 0; c < cols; c++)
        {
            float* to = dst + c * ldd;
            for (long r = c < fullCols ? fullRows : 0; r < rows; r++) to[r] = src[r * lds + c];
        }
    }

    /// <summary>dst[c * ldd + r] = src[r * lds + c] for r, c in [0, 8), in AVX registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block8(float* src, long lds, float* dst, long ldd)
    {
        // Per 128-bit lane: unpacking pairs rows, shuffling gathers a column's four rows; lane 0 holds columns 0-3,
        // lane 1 columns 4-7, and the lane permute joins rows 0-3 and 4-7 of one column.
        Quarter(src, lds, out var a0, out var a1, out var a2, out var a3);
        Quarter(src + 4 * lds, lds, out var b0, out var b1, out var b2, out var b3);
        Vector256.Store(Avx.Permute2x128(a0, b0, 0x20), dst);
        Vector256.Store(Avx.Permute2x128(a1, b1, 0x20), dst + ldd);
        Vector256.Store(Avx.Permute2x128(a2, b2, 0x20), dst + 2 * ldd);
        Vector256.Store(Avx.Permute2x128(a3, b3, 0x20), dst + 3 * ldd);
        Vector256.Store(Avx.Permute2x128(a0, b0, 0x31), dst + 4 * ldd);
        Vector256.Store(Avx.Permute2x128(a1, b1, 0x31), dst + 5 * ldd);
        Vector256.Store(Avx.Permute2x128(a2, b2, 0x31), dst + 6 * ldd);
        Vector256.Store(Avx.Permute2x128(a3, b3, 0x31), dst + 7 * ldd);
    }

    /// <summary>Four rows to four vectors: vector c holds column c (lane 0) and column c + 4 (lane 1) of rows 0..3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quarter(float* s, long lds, out Vector256<float> c0, out Vector256<float> c1, out Vector256<float> c2,
                                out Vector256<float> c3)
    {
        var r0 = Vector256.Load(s);
        var r1 = Vector256.Load(s + lds);
        var r2 = Vector256.Load(s + 2 * lds);
        var r3 = Vector256.Load(s + 3 * lds);
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        c0 = Avx.Shuffle(t0, t2, 0x44);
        c1 = Avx.Shuffle(t0, t2, 0xEE);
        c2 = Avx.Shuffle(t1, t3, 0x44);
        c3 = Avx.Shuffle(t1, t3, 0xEE);
    }

    /// <summary>dst[c * ldd + r] = src[r * lds + c] for r, c in [0, 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block16(float* src, long lds, float* dst, long ldd)
    {
        // Rows 4g..4g+3 become u[g][c]: lane l holds column c + 4l of those four rows. All 16 stay in registers.
        Interleave(src, lds, out var u00, out var u01, out var u02, out var u03);
        Interleave(src + 4 * lds, lds, out var u10, out var u11, out var u12, out var u13);
        Interleave(src + 8 * lds, lds, out var u20, out var u21, out var u22, out var u23);
        Interleave(src + 12 * lds, lds, out var u30, out var u31, out var u32, out var u33);
        GatherLanes(u00, u10, u20, u30, dst, ldd);
        GatherLanes(u01, u11, u21, u31, dst + ldd, ldd);
        GatherLanes(u02, u12, u22, u32, dst + 2 * ldd, ldd);
        GatherLanes(u03, u13, u23, u33, dst + 3 * ldd, ldd);
    }

    /// <summary>Four rows to four vectors: vector c, lane l = column c + 4l of rows 0..3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave(float* s, long lds, out Vector512<float> u0, out Vector512<float> u1,
                                   out Vector512<float> u2, out Vector512<float> u3)
    {
        var r0 = Vector512.Load(s);
        var r1 = Vector512.Load(s + lds);
        var r2 = Vector512.Load(s + 2 * lds);
        var r3 = Vector512.Load(s + 3 * lds);
        var t0 = Avx512F.UnpackLow(r0, r1).AsDouble();
        var t1 = Avx512F.UnpackHigh(r0, r1).AsDouble();
        var t2 = Avx512F.UnpackLow(r2, r3).AsDouble();
        var t3 = Avx512F.UnpackHigh(r2, r3).AsDouble();
        u0 = Avx512F.UnpackLow(t0, t2).AsSingle();
        u1 = Avx512F.UnpackHigh(t0, t2).AsSingle();
        u2 = Avx512F.UnpackLow(t1, t3).AsSingle();
        u3 = Avx512F.UnpackHigh(t1, t3).AsSingle();
    }

    /// <summary>
    /// From the four row groups' vectors for column c, writes columns c, c + 4, c + 8, c + 12 (16 rows each)
    /// to dst, dst + 4 ldd, dst + 8 ldd, dst + 12 ldd.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatherLanes(Vector512<float> g0, Vector512<float> g1, Vector512<float> g2, Vector512<float> g3,
                                    float* dst, long ldd)
    {
        var v = Avx512F.Shuffle4x128(g0, g1, 0x88);
        var vh = Avx512F.Shuffle4x128(g0, g1, 0xDD);
        var x = Avx512F.Shuffle4x128(g2, g3, 0x88);
        var xh = Avx512F.Shuffle4x128(g2, g3, 0xDD);
        Vector512.Store(Avx512F.Shuffle4x128(v, x, 0x88), dst);
        Vector512.Store(Avx512F.Shuffle4x128(vh, xh, 0x88), dst + 4 * ldd);
        Vector512.Store(Avx512F.Shuffle4x128(v, x, 0xDD), dst + 8 * ldd);
        Vector512.Store(Avx512F.Shuffle4x128(vh, xh, 0xDD), dst + 12 * ldd);
    }
}
