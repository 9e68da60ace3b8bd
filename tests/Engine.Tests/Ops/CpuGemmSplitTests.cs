using System.Runtime.Intrinsics;
using Engine.Kernels.Cpu;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Ops;

/// <summary>
/// The cpu GEMM splits C over threads in row or column bands; each band must produce bit-identical values to
/// the unsplit run, so results never depend on the core count of the machine.
/// </summary>
public unsafe class CpuGemmSplitTests
{
    [Fact]
    public void Blocked_gemm_bands_are_bit_identical_to_the_whole()
    {
        var cases = from m in Gen.Choose(1, 80)
                    from n in Gen.Choose(1, 200)
                    from k in Gen.Choose(1, 300)
                    from transA in ArbMap.Default.GeneratorFor<bool>()
                    from transB in ArbMap.Default.GeneratorFor<bool>()
                    from beta in Gen.Elements(0f, 0.5f)
                    from splitRows in ArbMap.Default.GeneratorFor<bool>()
                    from seed in Gen.Choose(0, int.MaxValue)
                    select (m, n, k, transA, transB, beta, splitRows, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var a = DeviceData.Floats(c.seed, c.m * c.k);
            var b = DeviceData.Floats(c.seed + 1, c.k * c.n);
            var c0 = DeviceData.Floats(c.seed + 2, c.m * c.n);
            var whole = (float[])c0.Clone();
            var banded = (float[])c0.Clone();
            fixed (float* pa = a, pb = b, pw = whole, pband = banded)
            {
                var full = Problem(c, pa, pb, pw);
                var split = Problem(c, pa, pb, pband);
                if (Vector512.IsHardwareAccelerated) Run<GemmKernel6x64>(full, split, c.splitRows);
                else Run<GemmKernel6x16>(full, split, c.splitRows);
            }
            for (int i = 0; i < whole.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(whole[i]) == BitConverter.SingleToInt32Bits(banded[i]),
                            $"{c}: element {i} is {banded[i]:R} banded, {whole[i]:R} whole");
        }).Check(TestSeeds.Quick(40));
    }

    private static GemmProblem Problem((int m, int n, int k, bool transA, bool transB, float beta, bool, int) c,
                                       float* a, float* b, float* result)
        => new(a, c.transA ? c.m : c.k, c.transA, b, c.transB ? c.k : c.n, c.transB, result, c.n,
               c.m, c.n, c.k, 0.75f, c.beta);

    private static void Run<TKernel>(GemmProblem full, GemmProblem split, bool splitRows) where TKernel : struct, IGemmMicroKernel
    {
        GemmBlocked<TKernel>.Run(full, 0, full.M, 0, full.N);
        // Bands cut at whole micro-tiles, as the threaded driver cuts them.
        int unit = splitRows ? TKernel.Rows : TKernel.Columns, extent = splitRows ? full.M : full.N;
        int cut = Math.Min(extent, (extent / unit + 1) / 2 * unit);
        if (splitRows)
        {
            GemmBlocked<TKernel>.Run(split, 0, cut, 0, split.N);
            GemmBlocked<TKernel>.Run(split, cut, split.M, 0, split.N);
        }
        else
        {
            GemmBlocked<TKernel>.Run(split, 0, split.M, 0, cut);
            GemmBlocked<TKernel>.Run(split, 0, split.M, cut, split.N);
        }
    }
}
