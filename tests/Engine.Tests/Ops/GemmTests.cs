using Engine.Kernels.Devices;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Ops;

public class GemmTests
{
    /// <summary>One generated GEMM: shape, layout (transposes, padded leading dims, offsets, broadcasts) and scaling.</summary>
    public sealed record Case(int Batch, int M, int N, int K, bool TransA, bool TransB, int PadA, int PadB, int PadC,
                              bool BroadcastA, bool BroadcastB, float Alpha, float Beta, int Seed, int Offset = 5,
                              bool NaNInC = false, int PadBatchA = 0, int PadBatchB = 0, int PadBatchC = 0, bool NaNPadding = false)
    {
        public GemmSpec Spec()
        {
            long lda = (TransA ? M : K) + PadA, ldb = (TransB ? K : N) + PadB, ldc = N + PadC;
            long sizeA = (TransA ? K : M) * lda, sizeB = (TransB ? N : K) * ldb;
            return new GemmSpec(Batch, M, N, K, TransA, TransB, lda, ldb, ldc,
                                BroadcastA ? 0 : sizeA + PadBatchA, BroadcastB ? 0 : sizeB + PadBatchB, M * ldc + PadBatchC, Alpha, Beta);
        }
    }

    private static readonly Gen<int> Size = Gen.OneOf(
        Gen.Choose(1, 20), Gen.Choose(1, 150), Gen.Elements(1, 2, 6, 7, 13, 16, 17, 31, 32, 48, 61, 63, 64, 65, 96, 97, 127, 129));

    private static readonly Gen<Case> Cases =
        from batch in Gen.Elements(1, 1, 1, 2, 3)
        from m in Size
        from n in Size
        from k in Size
        from transA in ArbMap.Default.GeneratorFor<bool>()
        from transB in ArbMap.Default.GeneratorFor<bool>()
        from pads in Gen.Elements(0, 0, 3).Three()
        from broadcast in Gen.Elements((false, false), (false, false), (true, false), (false, true))
        from alpha in Gen.Elements(1f, 1f, 0.5f, -2f)
        from beta in Gen.Elements(0f, 0f, 1f, 0.5f)
        from seed in Gen.Choose(0, int.MaxValue)
        from offset in Gen.Elements(5, 5, 0, 16)   // 0 and 16: 64-byte aligned operands (the cpu reads some in place)
        select new Case(batch, m, n, k, transA, transB, pads.Item1, pads.Item2, pads.Item3,
                        broadcast.Item1, broadcast.Item2, alpha, beta, seed, offset);

    /// <summary>Larger shapes that take the packed, multi-threaded and batch-parallel paths, and empty extents.</summary>
    private static readonly Case[] Fixed =
    [
        new(1, 67, 131, 259, false, false, 0, 0, 0, false, false, 1f, 0f, 1),
        new(1, 67, 131, 259, true, true, 5, 1, 2, false, false, 0.5f, 1f, 2),
        new(1, 200, 190, 301, false, true, 0, 0, 0, false, false, 1f, 0.5f, 3),
        new(1, 1, 300, 600, false, false, 0, 0, 0, false, false, 1f, 0f, 4),
        new(6, 64, 64, 65, true, false, 0, 0, 0, false, true, 1f, 0f, 5),
        // Attention's shapes: N = 32, whole vectors narrower than the 64-wide kernel, stored straight into C (with
        // beta, and over two depth blocks so the second accumulates); at offsets 0 and 16 their B rows are 64-byte
        // aligned and one panel wide, so it is read in place instead of packed (the generated cases' offset 5 never is).
        new(8, 64, 32, 64, false, false, 0, 0, 0, false, false, 1f, 1f, 12),
        new(3, 64, 32, 300, true, false, 0, 0, 3, false, false, 0.5f, 0.5f, 13),
        new(8, 64, 32, 64, false, false, 0, 0, 0, false, false, 1f, 1f, 14, Offset: 0),
        new(3, 64, 32, 300, true, false, 0, 0, 3, false, false, 0.5f, 0.5f, 15, Offset: 16),
        new(2, 70, 64, 300, false, false, 0, 0, 0, false, false, 1f, 0f, 16, Offset: 0),
        new(4, 130, 70, 140, false, true, 0, 0, 0, true, false, -1f, 0.5f, 6),
        new(2, 5, 7, 0, false, false, 0, 0, 1, false, false, 1f, 0.5f, 7),
        new(1, 0, 7, 3, true, false, 0, 0, 0, false, false, 1f, 0f, 8),
        new(3, 4, 0, 3, false, true, 0, 0, 2, false, false, 1f, 0f, 9),
        // A few rows against a wide B (the cpu's unpacked few-rows path): tails in rows, columns and blocks.
        new(1, 13, 1100, 100, true, false, 2, 3, 1, false, false, 0.5f, 0.5f, 10),
        new(2, 32, 600, 9, false, false, 0, 0, 0, true, false, 1f, 0f, 11),
        // At most 16 rows of C over columns enough for a GPU of 132 compute units (16 per unit): GPU backends take the
        // one-work-item-per-column kernel (CGFM's coefficients PᵀG: 13 rows, K = 100), transposed A or not, with beta.
        new(1, 13, 4500, 100, true, false, 0, 0, 0, false, false, 1f, 0f, 21, NaNInC: true),
        new(2, 7, 2200, 70, false, false, 1, 3, 2, false, false, -0.5f, 0.5f, 22),
        new(3, 16, 1000, 129, true, false, 0, 0, 0, true, false, 1f, 1f, 23),
        // Few output blocks over a long K: GPU backends split K into slices (a first slice carrying beta over a copy of
        // C, a batched launch, a shorter last slice, a reduction; a padded C gets the sum through a strided copy).
        new(1, 20, 30, 5000, false, true, 0, 0, 0, false, false, 1f, 0f, 17),
        new(1, 64, 64, 1500, true, false, 2, 1, 0, false, false, -0.5f, 0f, 18),
        new(1, 50, 40, 2000, false, false, 0, 0, 3, false, false, 1f, 0f, 19),
        new(1, 9, 5, 1100, true, true, 0, 0, 0, false, false, 2f, 0.5f, 20),
    ];

    private static readonly Gen<Case> FewRows =
        from m in Gen.Choose(1, 32)
        from n in Gen.Choose(512, 1300)
        from k in Gen.Choose(1, 40)
        from transA in ArbMap.Default.GeneratorFor<bool>()
        from beta in Gen.Elements(0f, 1f, 0.5f)
        from seed in Gen.Choose(0, int.MaxValue)
        select new Case(1, m, n, k, transA, false, 1, 2, 3, false, false, -0.5f, beta, seed);

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Gemm_matches_double_reference(string backend)
    {
        var device = Backends.Get(backend);
        foreach (var c in Fixed) Verify(device, c);
        Prop.ForAll(Cases.ToArbitrary(), c => Verify(device, c)).Check(TestSeeds.Quick(80));
        Prop.ForAll(FewRows.ToArbitrary(), c => Verify(device, c)).Check(TestSeeds.Quick(10));
    }

    // The variants of the GPU backends' gemm.cl: 64- or 128-wide blocks (the wide ones where M and N reach 128 and
    // their blocks fill the device), 16- or 8-deep K tiles, each transpose pair, and float4 loads and stores where every
    // operand's offset, leading dimension, batch stride and contiguous extent is a multiple of 4, else scalar loads.

    private static readonly Gen<int> Multiple4Size = Gen.OneOf(
        Gen.Choose(1, 75).Select(x => 4 * x), Gen.Elements(4, 8, 12, 60, 64, 68, 124, 128, 132, 192, 256, 260));

    private static readonly Gen<int> TileSize = Gen.OneOf(
        Gen.Choose(1, 300), Gen.Elements(1, 2, 3, 4, 5, 8, 15, 16, 17, 63, 64, 65, 127, 128, 129, 131, 132, 256, 257));

    private static Gen<Case> VariantCases(Gen<int> size, Gen<(int Offset, int PadA, int PadB, int PadC)> layout) =>
        from batch in Gen.Elements(1, 1, 2, 3)
        from m in size
        from n in size
        from k in size
        from transA in ArbMap.Default.GeneratorFor<bool>()
        from transB in ArbMap.Default.GeneratorFor<bool>()
        from l in layout
        from broadcast in Gen.Elements((false, false), (false, false), (true, false), (false, true))
        from alpha in Gen.Elements(1f, 0.5f, -2f)
        from beta in Gen.Elements(0f, 1f, 0.5f)
        from nan in Gen.Elements(false, true)
        from seed in Gen.Choose(0, int.MaxValue)
        select new Case(batch, m, n, k, transA, transB, l.PadA, l.PadB, l.PadC, broadcast.Item1, broadcast.Item2,
                        alpha, beta, seed, l.Offset, NaNInC: nan && beta == 0);

    /// <summary>Every offset, leading dimension, batch stride and contiguous extent a multiple of 4: the float4 path.</summary>
    private static readonly Gen<Case> AlignedCases = VariantCases(Multiple4Size,
        from offset in Gen.Elements(0, 4, 16)
        from pads in Gen.Elements(0, 0, 4, 8).Three()
        select (offset, pads.Item1, pads.Item2, pads.Item3));

    /// <summary>At least one odd offset or leading dimension: the scalar, element-wise bounds-checked path.</summary>
    private static readonly Gen<Case> UnalignedCases = VariantCases(TileSize, Gen.OneOf(
        from offset in Gen.Elements(1, 3, 5)
        from pads in Gen.Elements(0, 4).Three()
        select (offset, pads.Item1, pads.Item2, pads.Item3),
        from pads in Gen.Elements((1, 0, 0), (0, 3, 0), (0, 0, 1), (1, 1, 3))
        select (0, pads.Item1, pads.Item2, pads.Item3)));

    /// <summary>
    /// Everything a multiple of 4 but one thing, so the float4 path must not be taken: one of M, N, K (so one operand's
    /// contiguous extent, or two) or one operand's batch stride, off by 1 to 3. A's and B's padding (and the gaps between
    /// batches) hold NaN and the buffers end at their last element, so a float4 read past an extent poisons C.
    /// </summary>
    private static Case NearlyAligned(int odd, bool transA, bool transB, Random rng)
    {
        int Size() => 4 * rng.Next(1, 50);
        int shift = rng.Next(1, 4), m = Size(), n = Size(), k = Size();
        if (odd == 0) m -= shift;
        if (odd == 1) n -= shift;
        if (odd == 2) k -= shift;
        // Leading dimensions rounded up to multiples of 4, so only the chosen extent (or a batch stride) is off.
        int Round(int extent) => (4 - extent % 4) % 4;
        float beta = rng.Next(2) == 0 ? 0f : 0.5f;
        return new Case(odd >= 3 ? 2 : rng.Next(1, 4), m, n, k, transA, transB, Round(transA ? m : k), Round(transB ? k : n),
                        Round(n), false, false, 1f, beta, rng.Next(), Offset: 0, NaNInC: beta == 0,
                        PadBatchA: odd == 3 ? shift : 0, PadBatchB: odd == 4 ? shift : 0, PadBatchC: odd == 5 ? shift : 0,
                        NaNPadding: true);
    }

    // Batches of 99 products of 2 x 2 wide blocks: 396 blocks, enough for the 128-wide variant (3 blocks per compute
    // unit) on GPUs with up to 132 compute units, at exact multiples of the block and with edges (and K tails).
    private static readonly Case[] WideAligned =
    [
        new(99, 256, 256, 64, false, false, 0, 0, 0, false, false, 1f, 0f, 30, Offset: 0, NaNInC: true),
        new(99, 256, 252, 72, true, true, 4, 0, 4, false, true, 0.5f, 1f, 31, Offset: 4),
        new(99, 252, 132, 36, false, true, 0, 0, 0, false, false, 1f, 0f, 33, Offset: 0, NaNInC: true),
    ];

    private static readonly Case[] WideUnaligned =
    [
        new(99, 250, 253, 67, true, false, 1, 3, 1, true, false, -1f, 0.5f, 32),
        new(99, 255, 129, 33, false, true, 0, 0, 0, false, false, 1f, 0f, 34, Offset: 0, NaNInC: true),
    ];

    /// <summary>
    /// Few output blocks over a long K, split into slices: aligned operands whose slices stay aligned (a shorter last
    /// slice, beta over a copy of C, NaN in C with beta 0) and unaligned ones with a last slice of odd depth.
    /// </summary>
    private static readonly Case[] SplitCases =
    [
        new(1, 64, 128, 2048, false, false, 0, 0, 0, false, false, 1f, 0.5f, 40, Offset: 0),
        new(1, 100, 36, 2052, true, false, 0, 4, 0, false, false, 1f, 0f, 41, Offset: 4, NaNInC: true),
        new(1, 8, 64, 1536, false, true, 4, 0, 8, false, false, -0.5f, 1f, 42, Offset: 16),
        new(1, 60, 44, 1030, false, true, 1, 1, 1, false, false, 1f, 0.5f, 43, Offset: 3),
        new(1, 32, 33, 1501, true, true, 0, 0, 0, false, false, 2f, 0f, 44, Offset: 0, NaNInC: true),
    ];

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Gemm_float4_path_matches_double_reference(string backend)
    {
        var device = Backends.Get(backend);
        foreach (var c in WideAligned) Verify(device, c);
        Prop.ForAll(AlignedCases.ToArbitrary(), c => Verify(device, c)).Check(TestSeeds.Quick(40));
    }

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Gemm_unaligned_path_matches_double_reference(string backend)
    {
        var device = Backends.Get(backend);
        foreach (var c in WideUnaligned) Verify(device, c);
        Prop.ForAll(UnalignedCases.ToArbitrary(), c => Verify(device, c)).Check(TestSeeds.Quick(40));
    }

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Gemm_nearly_aligned_operands_take_the_checked_path(string backend)
    {
        var device = Backends.Get(backend);
        // Every way to be off, under every transpose pair, twice: a sweep, so no combination depends on a draw.
        var rng = new Random(20261122);   // a failure prints its whole case
        for (int odd = 0; odd < 6; odd++)
            foreach (bool transA in new[] { false, true })
                foreach (bool transB in new[] { false, true })
                    for (int repeat = 0; repeat < 2; repeat++)
                        Verify(device, NearlyAligned(odd, transA, transB, rng));
    }

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Gemm_split_along_K_matches_double_reference(string backend)
    {
        var device = Backends.Get(backend);
        foreach (var c in SplitCases) Verify(device, c);
    }

    /// <summary>NaN everywhere in a stored operand but its rows × extent elements of each batch.</summary>
    private static void PoisonPadding(float[] x, int offset, int batches, long batchStride, int rows, int extent, long ld)
    {
        var used = new bool[x.Length];
        for (int batch = 0; batch < batches; batch++)
            for (int r = 0; r < rows; r++)
                for (int e = 0; e < extent; e++)
                    used[offset + batch * batchStride + r * ld + e] = true;
        for (int i = offset; i < x.Length; i++)
            if (!used[i]) x[i] = float.NaN;
    }

    private static void Verify(ComputeDevice device, Case c)
    {
        var spec = c.Spec();
        // With poisoned padding the operands also end at their last element (no padding after the last row).
        long Tail(long ld, int extent) => c.NaNPadding ? extent - ld : 0;
        long sizeA = (c.BroadcastA ? 0 : (c.Batch - 1) * spec.BatchStrideA) + (c.TransA ? c.K : c.M) * spec.Lda
                     + Tail(spec.Lda, c.TransA ? c.M : c.K);
        long sizeB = (c.BroadcastB ? 0 : (c.Batch - 1) * spec.BatchStrideB) + (c.TransB ? c.N : c.K) * spec.Ldb
                     + Tail(spec.Ldb, c.TransB ? c.K : c.N);
        long sizeC = c.Batch * spec.BatchStrideC;
        int offset = c.Offset;
        var a = DeviceData.Floats(c.Seed, offset + sizeA);
        var b = DeviceData.Floats(c.Seed + 1, offset + sizeB);
        if (c.NaNPadding)
        {
            PoisonPadding(a, offset, c.BroadcastA ? 1 : c.Batch, spec.BatchStrideA, c.TransA ? c.K : c.M, c.TransA ? c.M : c.K, spec.Lda);
            PoisonPadding(b, offset, c.BroadcastB ? 1 : c.Batch, spec.BatchStrideB, c.TransB ? c.N : c.K, c.TransB ? c.K : c.N, spec.Ldb);
        }
        var c0 = c.NaNInC ? Enumerable.Repeat(float.NaN, (int)(offset + sizeC)).ToArray() : DeviceData.Floats(c.Seed + 2, offset + sizeC);
        using var da = device.Upload(a);
        using var db = device.Upload(b);
        using var dc = device.Upload(c0);
        device.Gemm(spec, new BufferSlice(da, offset), new BufferSlice(db, offset), new BufferSlice(dc, offset));
        var result = device.ReadFloats(dc);

        for (int i = 0; i < offset; i++) Close.Check(c0[i], result[i], 0, () => $"{c}: element {i} before C", 0, 0);
        for (int batch = 0; batch < c.Batch; batch++)
        {
            long baseA = offset + batch * spec.BatchStrideA, baseB = offset + batch * spec.BatchStrideB;
            long baseC = offset + batch * spec.BatchStrideC;
            for (int i = 0; i < c.M; i++)
            for (int j = 0; j < spec.Ldc; j++)
            {
                long at = baseC + i * spec.Ldc + j;
                if (j >= c.N)
                {
                    Close.Check(c0[at], result[at], 0, () => $"{c}: padding C[{batch}][{i}, {j}]", 0, 0);
                    continue;
                }
                double sum = 0, magnitude = 0;
                for (int k = 0; k < c.K; k++)
                {
                    double x = a[baseA + (c.TransA ? k * spec.Lda + i : i * spec.Lda + k)];
                    double y = b[baseB + (c.TransB ? j * spec.Ldb + k : k * spec.Ldb + j)];
                    sum += x * y;
                    magnitude += Math.Abs(x * y);
                }
                // beta == 0 never reads C (BLAS): NaN there must not reach the result.
                double old = c.Beta == 0 ? 0 : c.Beta * (double)c0[at];
                double expected = c.Alpha * sum + old;
                double scale = Math.Abs(c.Alpha) * magnitude + Math.Abs(old);
                Close.Check(expected, result[at], scale, () => $"{c}: C[{batch}][{i}, {j}]", relative: 1e-4);
            }
        }
    }
}
