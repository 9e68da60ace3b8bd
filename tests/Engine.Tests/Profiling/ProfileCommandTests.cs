using System.Text.Json;
using Engine.Cli;
using Engine.Tests.Cli;
using Engine.Tests.Support;
using Xunit;

namespace Engine.Tests.Profiling;

/// <summary><c>engine profile</c> on every backend: the table, the trace file, and one-line errors for bad flags.</summary>
[Collection(ProfilerCollection.Name)]
public sealed class ProfileCommandTests
{
    private static readonly string[] Columns = ["kernel", "calls", "total ms", "mean µs", "bytes/call", "GB/s", "% of triad", "GFLOP/s"];

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void OptimizerStepsPrintTheTableAndWriteATrace(string backend)
    {
        using var dir = new TempDirectory();
        var trace = dir.File("optim.json");
        var run = CliRun.Of("profile", "--device", backend, "--params", "3001", "--steps", "3", "--optim", "sgd", "--trace", trace);
        Assert.True(run.ExitCode == 0, run.Error);

        var lines = run.Out.Split('\n', StringSplitOptions.TrimEntries);
        Assert.StartsWith("profile: 3 optimizer steps of clip_global_norm > ", lines[0]);
        Assert.Contains("3,001 fp32 parameters", lines[0]);
        Assert.Matches(@"^triad: \d+\.\d\d GB/s \(a = b \+ s\*c over 16,777,216 floats", lines[1]);
        Assert.Single(lines, l => l.StartsWith("memory: peak ", StringComparison.Ordinal) && l.Contains(" buffers allocated per step"));
        var header = Assert.Single(lines, l => l.StartsWith("kernel ", StringComparison.Ordinal));
        Assert.All(Columns, c => Assert.Contains(c, header));
        // Momentum SGD with clipping: phase R (||g||²) and phase U, three steps each; U moves p, g, m in and p, m out.
        var update = Assert.Single(lines, l => l.StartsWith("fused:optim_clip_global_norm_", StringComparison.Ordinal));
        var cells = update.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(Columns.Length, cells.Length);
        Assert.Equal("3", cells[1]);
        Assert.Equal("60.0 kB", cells[4]); // 5 x 4 bytes x 3,001 parameters (+ the broadcast norm, 4 bytes)
        Assert.Contains(lines, l => l.StartsWith("fused:optim_reduce:reduce1 ", StringComparison.Ordinal));

        var events = XEvents(trace);
        Assert.Equal(3, events.Count(e => e.GetProperty("name").GetString()!.StartsWith("fused:optim_clip_global_norm_", StringComparison.Ordinal)));
    }

    /// <summary>
    /// The structured methods see --params as one [100, params/100] hidden matrix: their phase S works on it (CGFM's
    /// low-rank adjust, SGG's Gram entries, SPEC-GF's and Muon's GEMMs) and phase U updates it; for the update any pass but
    /// phase R and the clip coefficient counts.
    /// </summary>
    [Theory]
    [InlineData("cgfm", "low_rank_adjust ")]
    [InlineData("sgg", "fused:optim_")]
    [InlineData("spectral", "gemm ")]
    [InlineData("muon", "gemm ")]
    public void StructuredMethodsProfileOnOneHiddenMatrix(string optim, string phaseKernel)
    {
        using var dir = new TempDirectory();
        var trace = dir.File("optim.json");
        var run = CliRun.Of("profile", "--params", "3000", "--steps", "2", "--warmup", "1", "--optim", optim, "--trace", trace);
        Assert.True(run.ExitCode == 0, run.Error);
        var lines = run.Out.Split('\n');
        Assert.Contains("over one [100, 30] hidden matrix", lines[0]);
        Assert.Contains(lines, l => l.StartsWith(phaseKernel, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("fused:optim_", StringComparison.Ordinal)
                                    && !l.StartsWith("fused:optim_reduce", StringComparison.Ordinal)
                                    && !l.StartsWith("fused:optim_clip_coefficient", StringComparison.Ordinal));
    }

    /// <summary>
    /// The optimizer flags of 'engine train' shape the profiled chain: SGG's phase R reads g, g_s and m, 12 B per parameter
    /// with g_s in fp32 and 10 with it in bfloat16 (3,000 parameters, plus the six sums and ||g||² written).
    /// </summary>
    [Theory]
    [InlineData("fp32", "36.0 kB")]
    [InlineData("bf16", "30.0 kB")]
    public void TrainOptimizerFlagsShapeTheProfiledChain(string precision, string reduceBytes)
    {
        using var dir = new TempDirectory();
        var run = CliRun.Of("profile", "--params", "3000", "--steps", "2", "--warmup", "1", "--optim", "sgg",
                            "--sgg-source-precision", precision, "--trace", dir.File("sgg.json"));
        Assert.True(run.ExitCode == 0, run.Error);
        var lines = run.Out.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Contains($"(source gradient in {precision}, without a conflict)", lines[0]);
        var reduce = Assert.Single(lines, l => l.StartsWith("fused:optim_reduce:reduce1 ", StringComparison.Ordinal));
        Assert.Equal(reduceBytes, reduce.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[4]);
    }

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void TrainingStepsRecordTheModelsKernels(string backend)
    {
        using var dir = new TempDirectory();
        var trace = dir.File("train.json");
        var run = CliRun.Of("profile", "--device", backend, "--what", "train", "--steps", "1", "--trace", trace);
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.StartsWith("profile: 1 training steps of preset tiny (", run.Out);
        var names = XEvents(trace).Select(e => e.GetProperty("name").GetString()).ToHashSet();
        // Forward and backward GEMMs, the loss, and the fused optimizer update all ran on the device.
        Assert.Contains("gemm", names);
        Assert.Contains(names, n => n!.StartsWith("cross_entropy", StringComparison.Ordinal));
        Assert.Contains(names, n => n!.StartsWith("fused:optim_clip_global_norm_", StringComparison.Ordinal));
    }

    [Fact]
    public void OnATerminalTheTableIsASpectreTable()
    {
        using var dir = new TempDirectory();
        var output = new StringWriter();
        var error = new StringWriter();
        int code = EngineProgram.Run(["profile", "--params", "1000", "--steps", "1", "--trace", dir.File("t.json")],
            new CliSession(output, error, IsTerminal: true, CancellationToken.None));
        Assert.True(code == 0, error.ToString());
        var text = output.ToString();
        Assert.Contains("triad: ", text);
        // Spectre's layout: a rule under the header, and long kernel names wrapped inside their column (an 80-column
        // console here), where the plain layout would print one line per kernel.
        var lines = text.Split('\n');
        var header = Assert.Single(lines, l => l.Contains("calls") && l.Contains("GFLOP/s"));
        Assert.Contains("──", lines[Array.IndexOf(lines, header) + 1]);
        Assert.DoesNotContain(lines, l => l.StartsWith("kernel ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("28.0 kB")); // the fused update: 28 bytes x 1,000 parameters (+4)
    }

    /// <summary>The trace parses as trace-event JSON; returns its complete events after checking their fields.</summary>
    private static List<JsonElement> XEvents(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var events = document.RootElement.GetProperty("traceEvents").EnumerateArray().Select(e => e.Clone()).ToList();
        var complete = events.Where(e => e.GetProperty("ph").GetString() == "X").ToList();
        Assert.NotEmpty(complete);
        foreach (var e in complete)
        {
            Assert.False(string.IsNullOrEmpty(e.GetProperty("name").GetString()));
            Assert.True(e.GetProperty("ts").GetDouble() >= 0, $"ts {e.GetProperty("ts")}");
            Assert.True(e.GetProperty("dur").GetDouble() >= 0, $"dur {e.GetProperty("dur")}");
            Assert.Equal(1, e.GetProperty("pid").GetInt32());
            Assert.True(e.GetProperty("tid").GetInt32() >= 1);
            Assert.Equal(JsonValueKind.Object, e.GetProperty("args").ValueKind);
        }
        // Every lane is named after its device.
        Assert.All(complete.Select(e => e.GetProperty("tid").GetInt32()).Distinct(), tid =>
            Assert.Contains(events, m => m.GetProperty("ph").GetString() == "M" && m.GetProperty("tid").GetInt32() == tid));
        return complete;
    }

    [Theory]
    [InlineData(new[] { "--steps", "0" }, "--steps must be > 0 (got 0)")]
    [InlineData(new[] { "--what", "eval" }, "--what must be optim or train (got 'eval')")]
    [InlineData(new[] { "--optim", "lion" }, "--optim must be adamw, sgd, cgfm, sgg, spectral or muon (got 'lion')")]
    [InlineData(new[] { "--optim", "cgfm", "--params", "1050" }, "--params must be a multiple of 100 for --optim cgfm (got 1050)")]
    [InlineData(new[] { "--warmup", "-1" }, "--warmup must be >= 0 (got -1)")]
    [InlineData(new[] { "--params", "0" }, "--params must be in [1, 2147483647] (got 0)")]
    [InlineData(new[] { "--params", "3000000000" }, "--params must be in [1, 2147483647]")]
    [InlineData(new[] { "--what", "train", "--preset", "huge" }, "--preset must be tiny or small (got 'huge')")]
    [InlineData(new[] { "--preset", "tiny" }, "--preset applies to --what train")]
    [InlineData(new[] { "--what", "train", "--params", "10" }, "--params applies to --what optim")]
    [InlineData(new[] { "--device", "gpu" }, "no device 'gpu'")]
    [InlineData(new[] { "--steps", "many" }, "'many'", "--steps")]
    [InlineData(new[] { "--sample-rate", "2" }, "'--sample-rate'")]
    [InlineData(new[] { "--optim", "sgg", "--sgg-source-precision", "fp8" }, "--sgg-source-precision must be fp32 or bf16 (got 'fp8')")]
    [InlineData(new[] { "--beta2", "1" }, "--beta2 must be in [0, 1) (got 1)")]
    public void BadFlagsGiveOneErrorLine(string[] flags, params string[] fragments)
    {
        using var dir = new TempDirectory();
        var trace = dir.File("never.json");
        var run = CliRun.Of(["profile", "--trace", trace, .. flags]);
        run.SingleErrorLine(fragments);
        Assert.False(File.Exists(trace), "a refused run must not write a trace");
    }

    [Fact]
    public void ATraceInAMissingFolderIsRefusedBeforeAnyWork()
    {
        using var dir = new TempDirectory();
        var missing = Path.Combine(dir.Path, "no-such-folder", "trace.json");
        CliRun.Of("profile", "--params", "10", "--trace", missing).SingleErrorLine("--trace", "does not exist");
        CliRun.Of("profile", "--params", "10", "--trace", dir.Path).SingleErrorLine("--trace", "is a folder");
    }

    [Fact]
    public void MemoryLineShowsPeakLiveAndAllocationsPerStep()
    {
        var before = new Engine.Kernels.Devices.DeviceMemoryInfo(40_000_000, 90_000_000, 10, 100, 0);
        Assert.Equal("memory: peak 52.1 MB during the steps, live 40.0 MB before and after them, 12.0 buffers allocated per step",
            Engine.Cli.Commands.ProfileCommand.DescribeMemory(before, before with { PeakBytes = 52_100_000, AllocationCount = 136 }, 3));
        Assert.Equal("memory: peak 52.1 MB during the steps, live 40.0 MB before them, 44.0 MB after (+4,000,000 B in +1 buffers), 0.5 buffers allocated per step",
            Engine.Cli.Commands.ProfileCommand.DescribeMemory(before, before with { LiveBytes = 44_000_000, LiveBufferCount = 11, PeakBytes = 52_100_000, AllocationCount = 101 }, 2));
    }
}
