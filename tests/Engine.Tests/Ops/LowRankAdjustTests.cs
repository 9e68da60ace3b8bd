using Engine.Kernels.Cpu;
using Engine.Kernels.Devices;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using MathNet.Numerics.LinearAlgebra;
using Xunit;

namespace Engine.Tests.Ops;

/// <summary>
/// <see cref="ComputeDevice.LowRankAdjust"/> (the cpu's blocked kernel, the portable GEMM + fused pass elsewhere) against
/// a double reference (G_adj, the coefficients, ||G_glob||² and ||G||²): orthonormal bases from a QR of random data, both orientations (P for m &lt; n, Qᵀ for m ≥ n),
/// batches, widths across the cpu's 32- or 16-column strips and 512-column blocks (and a last, narrower strip), ranks above 13
/// (the cpu kernel holds up to 13 coefficients per pass with AVX-512, 5 with AVX2, the rank shared out evenly over the
/// passes), λ_l = 0 and λ_l = λ_g (δ = 0); and each of the cpu's three P-side paths (the strip kernel on 512- and on 256-bit
/// vectors, and the GEMMs it falls back to without either) on the edge shapes, whatever this machine has.
/// </summary>
public class LowRankAdjustTests
{
    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void AdjustsInPlaceAndReportsTheCoefficients(string backend)
    {
        var device = Backends.Get(backend);
        var cases = from m in Gen.Choose(1, 48)
                    from n in Gen.OneOf(Gen.Choose(1, 40), Gen.Choose(500, 1100))
                    from batch in Gen.Choose(1, 3)
                    from rank in Gen.OneOf(Gen.Choose(1, 14), Gen.Choose(15, 40))
                    from lambdas in Gen.Elements((0.5f, 1.5f), (0f, 2f), (1f, 1f))
                    from seed in Gen.Choose(0, 100_000)
                    select (m, n, batch, rank, lambdas, seed);
        Prop.ForAll(cases.ToArbitrary(), c => Check(device, c.m, c.n, c.batch, Math.Min(c.rank, Math.Min(c.m, c.n)), c.lambdas, c.seed))
            .Check(TestSeeds.Quick(30));
        Check(device, 700, 30, 2, 5, (0.25f, 1f), 3);   // tall: row bands across 512
        foreach (var (m, n, batch, rank) in EdgeShapes) Check(device, m, n, batch, rank, (0.5f, 1.5f), m * n + rank);
    }

    /// <summary>
    /// P-side shapes the generated cases may miss: one row, a matrix narrower than one strip or than its first vector,
    /// one full pass (r = 13), two even ones (r = 16, 26), uneven ones (r = 17: 9 + 8), many (r = 100: 4 of 13 and 4 of 12),
    /// two coefficients, a last strip of one column, of 17 (one vector and a bit); on 256-bit vectors one full pass (r = 5),
    /// two (r = 6: 3 + 3) and three uneven ones (r = 11: 4 + 4 + 3) with a last strip of 9 columns; for GPU backends' kernel
    /// (ranks up to 16) more rows than it stages at once (64): the bench's [100, 1000] with r = 13, and 16 coefficients over
    /// 130 rows.
    /// </summary>
    private static readonly (int M, int N, int Batch, int Rank)[] EdgeShapes =
        [(1, 2, 1, 1), (1, 7, 3, 1), (5, 13, 1, 2), (13, 40, 1, 13), (16, 17, 1, 16), (26, 49, 1, 26), (32, 513, 1, 32),
         (3, 528, 1, 2), (40, 1000, 2, 17), (100, 2000, 1, 100), (100, 1000, 2, 13), (130, 300, 1, 16),
         (5, 25, 1, 5), (6, 41, 2, 6), (11, 57, 1, 11)];

    [Theory]
    [InlineData(nameof(LowRankPath.Strips512))]
    [InlineData(nameof(LowRankPath.Strips256))]
    [InlineData(nameof(LowRankPath.Gemms))]
    public void EveryCpuPathMatchesTheReference(string pathName)
    {
        var device = Backends.Get("cpu");
        var path = Enum.Parse<LowRankPath>(pathName);
        Adjust adjust = (spec, g, basis, coefficients, sum) => CpuPath(spec, g, basis, coefficients, sum, path);
        foreach (var (m, n, batch, rank) in EdgeShapes)
            foreach (var lambdas in new[] { (0.5f, 1.5f), (0f, 2f), (1f, 1f) })
                Check(device, m, n, batch, rank, lambdas, m + n + rank, adjust);
    }

    private delegate void Adjust(LowRankAdjustSpec spec, DeviceBuffer g, DeviceBuffer basis, DeviceBuffer coefficients, DeviceBuffer sum);

    private static unsafe void CpuPath(LowRankAdjustSpec spec, DeviceBuffer g, DeviceBuffer basis, DeviceBuffer coefficients, DeviceBuffer sum,
                                       LowRankPath path)
    {
        var (globalSq, gradSq) = CpuLowRankAdjust.Run(spec, ((CpuBuffer)g).Pointer, ((CpuBuffer)basis).Pointer, ((CpuBuffer)coefficients).Pointer, path);
        ((CpuBuffer)sum).Pointer[0] = (float)globalSq;
        ((CpuBuffer)sum).Pointer[1] = (float)gradSq;
    }

    [Fact]
    public void BadShapesAreRefused()
    {
        var device = Backends.Get("cpu");
        using var buffer = device.Allocate(64);
        var slice = new BufferSlice(buffer, 0);
        var e = Assert.Throws<ArgumentException>(() => device.LowRankAdjust(new LowRankAdjustSpec(1, 4, 4, 5, 1f, 0f), slice, slice, slice, slice));
        Assert.Contains("rank 5", e.Message);
    }

    private static void Check(ComputeDevice device, int m, int n, int batch, int rank, (float Local, float Global) lambdas, int seed,
                              Adjust? adjust = null)
    {
        var spec = new LowRankAdjustSpec(batch, m, n, rank, lambdas.Local, lambdas.Global - lambdas.Local);
        var rng = new Random(seed);
        var grads = new List<Matrix<double>>();
        var bases = new List<Matrix<double>>();
        for (int b = 0; b < batch; b++)
        {
            grads.Add(Matrix<double>.Build.Dense(m, n, (_, _) => rng.NextDouble() * 2 - 1));
            int side = spec.RightSide ? n : m;
            var q = Matrix<double>.Build.Dense(side, rank, (_, _) => rng.NextDouble() * 2 - 1).QR().Q.SubMatrix(0, side, 0, rank);
            bases.Add(spec.RightSide ? q.Transpose() : q);
        }
        using var g = device.Upload(grads.SelectMany(Flatten).ToArray());
        using var basis = device.Upload(bases.SelectMany(Flatten).ToArray());
        using var coefficients = device.Allocate(batch * spec.CoefficientElements);
        using var sum = device.Allocate(2);
        // Coefficients start as NaN: every one must be written.
        device.Fill(new BufferSlice(coefficients, 0), batch * spec.CoefficientElements, float.NaN);
        if (adjust is null)
            device.LowRankAdjust(spec, new BufferSlice(g, 0), new BufferSlice(basis, 0), new BufferSlice(coefficients, 0), new BufferSlice(sum, 0));
        else
            adjust(spec, g, basis, coefficients, sum);
        var adjusted = device.ReadFloats(g);
        var coef = device.ReadFloats(coefficients);

        string where = $"{device.Id} batch {batch} [{m}, {n}] rank {rank} λ {lambdas} seed {seed}";
        double sumSq = 0, gradSq = 0;
        for (int b = 0; b < batch; b++)
        {
            var (gm, bm) = (grads[b], bases[b]);
            gradSq += Flatten(gm).Sum(x => (double)x * x);
            var c = spec.RightSide ? gm * bm.Transpose() : bm.Transpose() * gm;
            var global = spec.RightSide ? c * bm : bm * c;
            var expected = lambdas.Local * gm + (lambdas.Global - lambdas.Local) * global;
            var e = Flatten(expected).ToArray();
            for (int k = 0; k < e.Length; k++)
                Close.Check(e[k], adjusted[b * spec.MatrixElements + k], 1 + Math.Abs(e[k]), () => $"{where}: G_adj[{b}][{k}]", 2e-5);
            var ce = Flatten(c).ToArray();
            for (int k = 0; k < ce.Length; k++)
                Close.Check(ce[k], coef[b * spec.CoefficientElements + k], 1 + Math.Abs(ce[k]), () => $"{where}: coefficient[{b}][{k}]", 2e-5);
            sumSq += ce.Sum(x => x * x);
        }
        var sums = device.ReadFloats(sum);
        Close.Check(sumSq, sums[0], sumSq + 1, () => $"{where}: Σ coefficients²", 1e-5);
        Close.Check(gradSq, sums[1], gradSq + 1, () => $"{where}: Σ G² before the adjust", 1e-5);
    }

    private static IEnumerable<float> Flatten(Matrix<double> x) =>
        Enumerable.Range(0, x.RowCount).SelectMany(i => Enumerable.Range(0, x.ColumnCount).Select(j => (float)x[i, j]));
}
