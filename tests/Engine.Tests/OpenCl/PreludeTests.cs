using System.Diagnostics;
using System.Text.RegularExpressions;
using Engine.Kernels.Devices;
using Xunit;
using Xunit.Abstractions;

namespace Engine.Tests.OpenCl;

/// <summary>The portable prelude: same macros in both dialects, right values on OpenCL, valid PTX through clang-14.</summary>
[Collection("OpenCl")]
public sealed class PreludeTests(OpenClFixture fixture, ITestOutputHelper output)
{
    private const int MathOutputs = 13;

    private static readonly string[] Macros =
    [
        "KERNEL", "GLOBAL", "LOCAL_MEM", "RESTRICT", "DEVICE_FN", "BARRIER", "GLOBAL_ID", "LOCAL_ID", "GROUP_ID",
        "LOCAL_SIZE", "NUM_GROUPS", "GLOBAL_SIZE", "FMA", "SQRTF", "RSQRTF", "EXPF", "LOGF", "TANHF", "COSF", "SINF",
        "FABSF", "FMAXF", "FMINF", "POWF", "HAS_WARP_SHUFFLE", "WARP_SIZE", "SHFL_DOWN", "LONG", "ULONG", "UINT", "HAS_FP64",
    ];

    /// <summary>Uses every macro of the prelude; compiled as OpenCL here and as CUDA by tools/check-ptx.sh.</summary>
    private const string CoverageSource = """
        DEVICE_FN float warp_total(float v)
        {
            for (int off = WARP_SIZE / 2; off > 0; off /= 2) v += SHFL_DOWN(v, off);
            return v;
        }

        KERNEL void prelude_math(GLOBAL const float* RESTRICT x, LONG x_off, GLOBAL float* RESTRICT out, LONG out_off, LONG n)
        {
            LOCAL_MEM float tile[64];
            LONG i = GLOBAL_ID(0);
            LONG l = LOCAL_ID(0);
            tile[l] = i < n ? x[x_off + i] : 1.0f;
            BARRIER();
            float v = tile[l];
            if (i >= n) return;
            GLOBAL float* o = out + out_off + i * 13;
            o[0] = FMA(v, 2.0f, 1.0f);
            o[1] = SQRTF(v);
            o[2] = RSQRTF(v);
            o[3] = EXPF(v);
            o[4] = LOGF(v);
            o[5] = TANHF(v - 1.5f);
            o[6] = COSF(v * 3.0f);
            o[7] = SINF(v * 3.0f);
            o[8] = FABSF(1.0f - v);
            o[9] = FMAXF(v, 1.0f);
            o[10] = FMINF(v, 1.0f);
            o[11] = POWF(v, 2.5f);
        #if HAS_FP64
            o[12] = (float)((double)v * (double)v);
        #else
            o[12] = v * v;
        #endif
            if (!HAS_WARP_SHUFFLE) o[12] += warp_total(0.0f);
        }

        KERNEL void prelude_geometry(GLOBAL int* out)
        {
            ULONG flat = (ULONG)(GLOBAL_ID(1) * GLOBAL_SIZE(0) + GLOBAL_ID(0));
            GLOBAL int* o = out + flat * 6;
            o[0] = (int)GLOBAL_ID(1);
            o[1] = (int)LOCAL_ID(0);
            o[2] = (int)GROUP_ID(0);
            o[3] = (int)LOCAL_SIZE(0);
            o[4] = (int)NUM_GROUPS(0);
            o[5] = (int)(UINT)GLOBAL_SIZE(1);
        }
        """;

    [Fact]
    public void BothPreludes_DefineEveryMacro()
    {
        foreach (var dialect in new[] { KernelDialect.OpenCl, KernelDialect.Cuda })
        {
            var prelude = KernelSources.Prelude(dialect);
            foreach (var macro in Macros)
                Assert.True(Regex.IsMatch(prelude, $@"^#define {macro}(\(|\s)", RegexOptions.Multiline),
                    $"{KernelSources.PreludeName(dialect)} does not define {macro}");
        }
    }

    [Fact]
    public void KernelSources_ServesEmbeddedFiles_AndNamesMissingOnes()
    {
        Assert.Contains("#define KERNEL __kernel", KernelSources.Load("prelude.opencl.h"));
        Assert.All(KernelSources.All, kv => Assert.EndsWith(".cl", kv.Key));
        var e = Assert.Throws<ArgumentException>(() => KernelSources.Load("no_such_kernel.cl"));
        Assert.Contains("no_such_kernel.cl", e.Message);
        Assert.Contains("prelude.cuda.h", e.Message);
    }

    [Fact]
    public void MathMacros_MatchDoubleReference_OnOpenCl()
    {
        if (fixture.Require(output) is not { } device) return;
        var kernel = device.GetKernel(CoverageSource, "prelude_coverage.cl", "prelude_math");
        const int n = 77;
        var x = Enumerable.Range(0, n).Select(i => 0.05f + i * 0.04f).ToArray();
        using var xBuf = device.Allocate(n + 1);
        using var outBuf = device.Allocate(n * MathOutputs + 2);
        device.Write(new BufferSlice(xBuf, 1), x.AsSpan());
        device.Launch(kernel, [128], [64], [KernelArg.Of(xBuf), KernelArg.Of(1L), KernelArg.Of(outBuf), KernelArg.Of(2L), KernelArg.Of((long)n)]);
        var result = new float[n * MathOutputs];
        device.Read(new BufferSlice(outBuf, 2), result.AsSpan());

        for (var i = 0; i < n; i++)
        {
            double v = x[i];
            double[] expected =
            [
                v * 2 + 1, Math.Sqrt(v), 1 / Math.Sqrt(v), Math.Exp(v), Math.Log(v), Math.Tanh(v - 1.5),
                Math.Cos((double)(x[i] * 3f)), Math.Sin((double)(x[i] * 3f)), Math.Abs(1 - v), Math.Max(v, 1), Math.Min(v, 1),
                Math.Pow(v, 2.5), v * v,
            ];
            for (var k = 0; k < MathOutputs; k++)
            {
                var got = result[i * MathOutputs + k];
                Assert.True(Math.Abs(got - expected[k]) <= 2e-6 * (1 + Math.Abs(expected[k])),
                    $"x = {v}: output {k} is {got}, expected {expected[k]}");
            }
        }
    }

    [Fact]
    public void GeometryMacros_DescribeA2DLaunch_OnOpenCl()
    {
        if (fixture.Require(output) is not { } device) return;
        var kernel = device.GetKernel(CoverageSource, "prelude_coverage.cl", "prelude_geometry");
        const int width = 8, height = 3, local = 4;
        using var outBuf = device.Allocate(width * height * 6);
        device.Launch(kernel, [width, height], [local, 1], [KernelArg.Of(outBuf)]);
        var result = new int[width * height * 6];
        device.Read<int>(outBuf, result);
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
        {
            var o = (y * width + x) * 6;
            Assert.Equal([y, x % local, x / local, local, width / local, height], result[o..(o + 6)]);
        }
    }

    [Fact]
    public void CheckPtx_CompilesTheCudaSide_AndReportsErrorsByFile()
    {
        if (!ClangAvailable()) return;
        var dir = Directory.CreateTempSubdirectory("engine-check-ptx-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "coverage.cu"), CoverageSource);
            var (code, text) = RunCheckPtx(dir.FullName);
            output.WriteLine(text);
            Assert.True(code == 0, text);
            Assert.Contains("ok    " + Path.Combine(dir.FullName, "coverage.cu"), text);

            File.WriteAllText(Path.Combine(dir.FullName, "broken.cu"), TestKernels.Broken);
            (code, text) = RunCheckPtx(dir.FullName);
            Assert.Equal(1, code);
            Assert.Contains("FAIL  " + Path.Combine(dir.FullName, "broken.cu"), text);
            Assert.Contains("broken.cu:3:", text);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private bool ClangAvailable()
    {
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("clang-14", "--version") { RedirectStandardOutput = true })!;
            probe.WaitForExit();
            return true;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                Assert.Fail("clang-14 is required in CI to compile the CUDA kernels to PTX");
            output.WriteLine("skipped: clang-14 not found");
            return false;
        }
    }

    private static (int Code, string Output) RunCheckPtx(string extraDir)
    {
        var script = Path.Combine(RepositoryRoot(), "tools", "check-ptx.sh");
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(extraDir);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "tools", "check-ptx.sh"))) return dir.FullName;
        throw new InvalidOperationException($"no tools/check-ptx.sh above {AppContext.BaseDirectory}");
    }
}
