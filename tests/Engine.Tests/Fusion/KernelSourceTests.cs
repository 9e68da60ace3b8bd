using Engine.Kernels.Fusion;
using Xunit;

namespace Engine.Tests.Fusion;

/// <summary>
/// The generated CUDA and OpenCL text. With ENGINE_DUMP_CUDA=dir set, every standard op and a few reduction
/// programs (one with a contraction, one with gates) are written to dir/*.cu for CI to compile to PTX (tools/check-ptx.sh dir).
/// </summary>
public sealed class KernelSourceTests
{
    private static IEnumerable<FusedProgram> Programs() =>
        ElementwiseOps.All.Select(p => p.Program)
            .Concat([FusedProgramTests.AdamW(), FusedProgramTests.ClippedStep(), FusedProgramTests.Statistics(),
                     ContractionTests.LowRankUpdate(), GateTests.Sample(), BFloat16StorageTests.Sample()]);

    [Fact]
    public void CudaSourceUsesOnlyPortableSpellings()
    {
        foreach (var program in Programs())
        {
            foreach (var rank in new[] { 0, 3 })
            {
                var cuda = rank == 0 ? program.EmitCuda() : program.EmitCuda(rank);
                foreach (var name in program.KernelNames(rank))
                    Assert.Contains($"KERNEL void {name}(", cuda);
                foreach (var banned in new[] { "__kernel", "__global", "__local", "get_global_id", "INFINITY", "barrier(" })
                    Assert.DoesNotContain(banned, cuda);
                var opencl = rank == 0 ? program.EmitOpenCl() : program.EmitOpenCl(rank);
                Assert.Equal(program.KernelNames(rank).Count, opencl.Split("KERNEL void ").Length - 1);
            }
        }
    }

    [Fact]
    public void ReductionsUseDoubleOnlyBehindHasFp64()
    {
        var cuda = FusedProgramTests.Statistics().EmitCuda();
        int guard = cuda.IndexOf("#if HAS_FP64", StringComparison.Ordinal);
        Assert.True(guard >= 0 && guard < cuda.IndexOf("double", StringComparison.Ordinal), cuda);
        Assert.Contains("_reduce2(", cuda);
        Assert.Contains("_finalize2(", cuda);
    }

    [Fact]
    public void DumpsCudaSourcesWhenAsked()
    {
        var dir = Environment.GetEnvironmentVariable("ENGINE_DUMP_CUDA");
        var programs = Programs().ToList();
        Assert.Equal(programs.Count, programs.Select(p => p.Hash).Distinct().Count());
        if (string.IsNullOrEmpty(dir)) return;
        Directory.CreateDirectory(dir);
        foreach (var program in programs)
        {
            var stem = program.KernelNames()[0].Split("_reduce")[0].Split("_map")[0];
            File.WriteAllText(Path.Combine(dir, stem + ".cu"), program.EmitCuda());
            File.WriteAllText(Path.Combine(dir, stem + "_s2.cu"), program.EmitCuda(2));
        }
    }
}
