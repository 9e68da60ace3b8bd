using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Engine.Cli.Configuration;
using Engine.Cli.Output;
using Engine.Kernels.Devices;
using Engine.Kernels.Profiling;
using Engine.Models.Checkpoints;
using Engine.Models.Config;

namespace Engine.Cli.Commands;

/// <summary>
/// <c>engine profile</c>: measures the device's triad bandwidth, runs untimed warm-up steps (kernels compile, the JIT optimizes), then
/// N optimizer or training steps with <see cref="KernelProfiler"/> on; prints one row per kernel (sorted by total time)
/// and writes every kernel run as a Chrome trace-event JSON file for Perfetto or chrome://tracing.
/// How to read the output: docs/profile.md.
/// </summary>
internal static class ProfileCommand
{
    private const long DefaultParameters = 10_000_000;
    private const int DefaultSteps = 10;

    /// <summary>Untimed steps first: kernels compile, caches fill and the JIT promotes the hot methods to optimized code.</summary>
    private const int DefaultWarmup = 10;

    public static Command Create(CliSession session)
    {
        var device = CommonOptions.Device();
        var steps = new Option<int>("--steps") { Description = "profiled steps (after the warm-up steps)", DefaultValueFactory = _ => DefaultSteps };
        var warmup = new Option<int>("--warmup") { Description = "untimed steps first (kernels compile, the JIT optimizes hot code)", DefaultValueFactory = _ => DefaultWarmup };
        var what = new Option<string>("--what")
        {
            Description = "optim: optimizer steps on --params parameters | train: training steps of --preset's GPT",
            DefaultValueFactory = _ => "optim",
        };
        var optim = new Option<string>("--optim") { Description = "adamw | sgd | cgfm | sgg | spectral | muon (the optimizers 'engine train' builds)", DefaultValueFactory = _ => "adamw" };
        var parameters = new Option<long?>("--params") { Description = $"fp32 parameters for --what optim (default {DefaultParameters:N0}; the structured methods see one [{ProfileWorkload.MatrixRows}, params/{ProfileWorkload.MatrixRows}] hidden matrix)" };
        var preset = new Option<string?>("--preset") { Description = "model and batch for --what train: tiny | small (default tiny)" };
        var trace = new Option<string>("--trace") { Description = "Chrome trace-event JSON to write", DefaultValueFactory = _ => "profile-trace.json" };
        var command = new Command("profile", "Time every kernel of optimizer or training steps; prints a table, writes a Chrome trace.")
        {
            device, steps, warmup, what, optim, parameters, preset, trace,
        };
        // The optimizer flags of 'engine train' (--beta2, --sgg-source-precision, --cgfm-rank, ...), so the profiled chain is the trained one.
        var settings = TrainSettings.CreateOptimizerSettings();
        foreach (var setting in settings) command.Add(setting.Option);
        command.SetAction(result => Run(session, new ProfileRequest(
            result.GetRequiredValue(device), result.GetValue(steps), result.GetValue(warmup), result.GetRequiredValue(what), result.GetRequiredValue(optim),
            result.GetValue(parameters), result.GetValue(preset), result.GetRequiredValue(trace)), settings, result));
        return command;
    }

    private sealed record ProfileRequest(string Device, int Steps, int Warmup, string What, string Optim, long? Parameters, string? Preset, string Trace);

    private static int Run(CliSession session, ProfileRequest request, IReadOnlyList<TrainSetting> settings, ParseResult flags)
    {
        Validate(request);
        var config = Configure(request, settings, flags);
        var device = DeviceRegistry.Open(request.Device);
        using var workload = request.What == "optim"
            ? ProfileWorkload.OptimizerSteps(device, config, request.Parameters ?? DefaultParameters)
            : ProfileWorkload.TrainingSteps(device, config, request.Preset ?? "tiny");

        bool wasEnabled = KernelProfiler.Enabled;
        KernelProfiler.Disable();
        IReadOnlyList<KernelRecord> records;
        TriadResult triad;
        double wallMs;
        DeviceMemoryInfo memoryBefore, memoryAfter;
        try
        {
            device.Synchronize();
            triad = TriadBandwidth.Measure(device);
            for (int i = 0; i < request.Warmup; i++)
            {
                session.Cancellation.ThrowIfCancellationRequested();
                workload.Step();
            }
            device.Synchronize();
            memoryBefore = device.GetMemoryInfo();
            device.ResetPeakMemory();
            KernelProfiler.Reset();
            KernelProfiler.Enable();
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < request.Steps; i++)
            {
                session.Cancellation.ThrowIfCancellationRequested();
                workload.Step();
            }
            device.Synchronize();
            wallMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            memoryAfter = device.GetMemoryInfo();
            KernelProfiler.Disable();
            records = KernelProfiler.Records.Where(r => r.Device == device.Id).ToArray();
        }
        finally
        {
            if (wasEnabled) KernelProfiler.Enable();
            else KernelProfiler.Disable();
        }

        WriteTrace(request.Trace, records, $"engine profile: {request.What} on {device.Id}");
        var output = session.Out;
        output.WriteLine($"profile: {request.Steps} {workload.Description} on {device}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"triad: {triad.GigabytesPerSecond:F2} GB/s (a = b + s*c over {triad.Elements:N0} floats, {TriadBandwidth.BytesPerElement} B/element, median of {triad.Runs} runs)"));
        double kernelMs = records.Sum(r => r.DurationNs) / 1e6;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"steps: {wallMs:F1} ms wall ({wallMs / request.Steps:F2} ms/step), {kernelMs:F1} ms in {records.Count:N0} kernel runs"));
        output.WriteLine(DescribeMemory(memoryBefore, memoryAfter, request.Steps));
        ProfileTable.Write(output, session.IsTerminal, KernelProfiler.Summarize(records), triad.GigabytesPerSecond);
        output.WriteLine($"trace: {request.Trace} ({records.Count:N0} events; open it in ui.perfetto.dev or chrome://tracing)");
        output.Flush();
        return ExitCodes.Success;
    }

    /// <summary>
    /// "memory: peak 52.1 MB during the steps, live 40.0 MB before and after them, 12.0 buffers allocated per step": after
    /// the warm-up steps (which create the optimizer state), live bytes that grow are a leak, and the allocations per
    /// step are what a step asks of the device's allocator.
    /// </summary>
    internal static string DescribeMemory(DeviceMemoryInfo before, DeviceMemoryInfo after, int steps)
    {
        static string Mb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:F1} MB");
        long grown = after.LiveBytes - before.LiveBytes, buffers = after.LiveBufferCount - before.LiveBufferCount;
        string live = grown == 0 && buffers == 0
            ? $"live {Mb(after.LiveBytes)} before and after them"
            : string.Create(CultureInfo.InvariantCulture,
                $"live {Mb(before.LiveBytes)} before them, {Mb(after.LiveBytes)} after ({grown:+#,0;-#,0;0} B in {buffers:+#,0;-#,0;0} buffers)");
        double perStep = (double)(after.AllocationCount - before.AllocationCount) / Math.Max(1, steps);
        return string.Create(CultureInfo.InvariantCulture,
            $"memory: peak {Mb(after.PeakBytes)} during the steps, {live}, {perStep:F1} buffers allocated per step");
    }

    /// <summary>Rejects bad flags before any device work, each with one line naming the flag.</summary>
    private static void Validate(ProfileRequest request)
    {
        if (request.Steps < 1) throw new UsageException($"--steps must be > 0 (got {request.Steps})");
        if (request.Warmup < 0) throw new UsageException($"--warmup must be >= 0 (got {request.Warmup})");
        if (request.What is not ("optim" or "train")) throw new UsageException($"--what must be optim or train (got '{request.What}')");
        if (request.Optim is not ("adamw" or "sgd" or "cgfm" or "sgg" or "spectral" or "muon"))
            throw new UsageException($"--optim must be adamw, sgd, cgfm, sgg, spectral or muon (got '{request.Optim}')");
        if (request.Parameters is { } count && count is < 1 or > int.MaxValue)
            throw new UsageException($"--params must be in [1, {int.MaxValue}] (got {count})");
        if (request.What == "optim" && request.Optim is not ("adamw" or "sgd")
            && (request.Parameters ?? DefaultParameters) % ProfileWorkload.MatrixRows != 0)
            throw new UsageException($"--params must be a multiple of {ProfileWorkload.MatrixRows} for --optim {request.Optim} " +
                                     $"(got {request.Parameters}): it sees the parameters as one [{ProfileWorkload.MatrixRows}, params/{ProfileWorkload.MatrixRows}] hidden matrix");
        if (request.Preset is { } preset && preset is not ("tiny" or "small"))
            throw new UsageException($"--preset must be tiny or small (got '{preset}')");
        if (request.What == "optim" && request.Preset is not null)
            throw new UsageException("--preset applies to --what train; --what optim profiles --params parameters");
        if (request.What == "train" && request.Parameters is not null)
            throw new UsageException("--params applies to --what optim; --what train takes its size from --preset");
        OutputFile.RequireWritable("--trace", request.Trace);
    }

    /// <summary>
    /// The training configuration whose optimizer is profiled: the preset (tiny for --what optim) with --optim and the
    /// optimizer flags given, validated as 'engine train' validates it.
    /// </summary>
    private static TrainConfig Configure(ProfileRequest request, IReadOnlyList<TrainSetting> settings, ParseResult flags) =>
        ConfigLoader.Validated(ConfigLoader.ApplyFlags(TrainConfig.Preset(request.Preset ?? "tiny") with { Optim = request.Optim }, settings, flags));

    /// <summary>Written atomically: a failed write never leaves half a trace under the requested name.</summary>
    private static void WriteTrace(string path, IReadOnlyList<KernelRecord> records, string processName)
    {
        AtomicFile.Write(path, stream => ChromeTrace.Write(stream, records, processName));
    }
}
