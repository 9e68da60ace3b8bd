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
                              bool BroadcastA, bool BroadcastB, float Alpha, float Beta, int Seed, int Offset = 5)
    {
        public GemmSpec Spec()
        {
            long lda = (TransA ? M : K) + PadA, ldb = (TransB ? K : N) + PadB, ldc = N + PadC;
            long sizeA = (TransA ? K : M) * lda, sizeB = (TransB ? N : K) * ldb;
            return new GemmSpec(Batch, M, N, K, TransA, TransB, lda, ldb, ldc,
                                BroadcastA ? 0 : sizeA, BroadcastB ? 0 : sizeB, M * ldc, Alpha, Beta);
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

    private static void Verify(ComputeDevice device, Case c)
    {
        var spec = c.Spec();
        long sizeA = (c.BroadcastA ? 0 : (c.Batch - 1) * spec.BatchStrideA) + (c.TransA ? c.K : c.M) * spec.Lda;
        long sizeB = (c.BroadcastB ? 0 : (c.Batch - 1) * spec.BatchStrideB) + (c.TransB ? c.N : c.K) * spec.Ldb;
        long sizeC = c.Batch * spec.BatchStrideC;
        int offset = c.Offset;
        var a = DeviceData.Floats(c.Seed, offset + sizeA);
        var b = DeviceData.Floats(c.Seed + 1, offset + sizeB);
        var c0 = DeviceData.Floats(c.Seed + 2, offset + sizeC);
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
                double expected = c.Alpha * sum + c.Beta * (double)c0[at];
                double scale = Math.Abs(c.Alpha) * magnitude + Math.Abs(c.Beta * c0[at]);
                Close.Check(expected, result[at], scale, () => $"{c}: C[{batch}][{i}, {j}]", relative: 1e-4);
            }
        }
    }
}
