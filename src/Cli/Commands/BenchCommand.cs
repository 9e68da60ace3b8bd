using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Engine.Benchmarks;
using Engine.Kernels.Devices;
using Engine.Models.Config;
using Engine.Models.Training;

namespace Engine.Cli.Commands;

/// <summary>
/// <c>engine bench</c>: times full training steps (batch, forward, loss, backward, fused optimizer step) of a preset
/// (<c>train_step</c>, <c>train_tokens</c>) and fused optimizer steps of every chain (<c>optim_step</c>: the same suite as
/// the bench program, <see cref="OptimSuite"/>) on a device, and prints one JSON line per figure in the bench program's
/// format (<c>{"name","backend","shape","value","unit"}</c>). A training step's value is the median over the timed steps,
/// after warm-up steps that let kernels compile and caches fill.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(CliSession session)
    {
        var quick = new Option<bool>("--quick") { Description = "the short suite: 10 warm-up steps, 50 timed (otherwise 20 and 200); fewer optimizer-step repetitions" };
        var what = new Option<string>("--what") { Description = "train: training steps of --preset | optim: optimizer steps of every chain on --params parameters | launch: the host's microseconds per kernel launch | all", DefaultValueFactory = _ => "all" };
        var preset = new Option<string?>("--preset") { Description = "model and batch for the training steps: tiny (config T, the default) | small" };
        var device = CommonOptions.Device();
        var warmup = new Option<int?>("--warmup") { Description = "warm-up training steps (overrides the suite's)" };
        var steps = new Option<int?>("--steps") { Description = "timed training steps (overrides the suite's)" };
        var parameters = new Option<int?>("--params")
        {
            Description = $"fp32 parameters of the optimizer steps, a multiple of {OptimSuite.ParameterStep:N0} (one [100, params/100] matrix, then 100 [100, params/10000]; default 10,000,000 on cpu, 1,000,000 elsewhere)",
        };
        var command = new Command("bench", "Time training steps and optimizer steps; prints JSON lines like the bench program.")
        {
            quick, what, preset, device, warmup, steps, parameters,
        };
        command.SetAction(result =>
        {
            bool isQuick = result.GetValue(quick);
            var request = new BenchRequest(result.GetRequiredValue(what), result.GetValue(preset), result.GetRequiredValue(device),
                result.GetValue(warmup), result.GetValue(steps), result.GetValue(parameters), isQuick);
            return Run(session, request);
        });
        return command;
    }

    private sealed record BenchRequest(string What, string? Preset, string Device, int? Warmup, int? Steps, int? Parameters, bool Quick)
    {
        public bool Trains => What is "train" or "all";
        public bool StepsOptimizers => What is "optim" or "all";
        public bool TimesLaunches => What is "launch" or "all";
    }

    private static int Run(CliSession session, BenchRequest request)
    {
        Validate(request);
        if (request.Trains) TrainSteps(session, request);
        if (request.StepsOptimizers) WriteAll(session, OptimSuite.Run(DeviceRegistry.Open(request.Device), request.Quick, request.Parameters));
        if (request.TimesLaunches) WriteAll(session, LaunchSuite.Run(DeviceRegistry.Open(request.Device), request.Quick));
        return ExitCodes.Success;
    }

    /// <summary>Prints each record as the suite yields it, stopping between records on Ctrl+C.</summary>
    private static void WriteAll(CliSession session, IEnumerable<BenchRecord> records)
    {
        foreach (var record in records)
        {
            session.Cancellation.ThrowIfCancellationRequested();
            Write(session, record);
        }
    }

    private static void Validate(BenchRequest request)
    {
        if (request.What is not ("train" or "optim" or "launch" or "all"))
            throw new UsageException($"--what must be train, optim, launch or all (got '{request.What}')");
        if (request.Warmup < 0) throw new UsageException($"--warmup must be >= 0 (got {request.Warmup})");
        if (request.Steps < 1) throw new UsageException($"--steps must be > 0 (got {request.Steps})");
        if (request.Preset is not (null or "tiny" or "small")) throw new UsageException($"--preset must be tiny or small (got '{request.Preset}')");
        if (request.Parameters is { } count && !OptimSuite.Fits(count))
            throw new UsageException($"--params must be a positive multiple of {OptimSuite.ParameterStep:N0} (got {count}): " +
                                     "the suite splits the parameters into 100 matrices of 100 rows");
        if (!request.Trains && (request.Preset, request.Warmup, request.Steps) is not (null, null, null))
            throw new UsageException($"--preset, --warmup and --steps apply to the training steps; --what {request.What} does not take them");
        if (!request.StepsOptimizers && request.Parameters is not null)
            throw new UsageException($"--params applies to the optimizer steps (--what optim or all); --what {request.What} does not take it");
    }

    private static void TrainSteps(CliSession session, BenchRequest request)
    {
        string presetName = request.Preset ?? "tiny";
        var preset = presetName == "small" ? TrainConfig.Small : TrainConfig.Tiny;
        int warmup = request.Warmup ?? (request.Quick ? 10 : 20), steps = request.Steps ?? (request.Quick ? 50 : 200);
        // Steps only, never a checkpoint: the out dir is never written. The anchors (PyTorch, earlier records) compute no
        // update alignment, so neither does the step timed here.
        var config = preset with
        {
            Device = request.Device, OutDir = Path.Combine(Path.GetTempPath(), "engine-bench-unused"), UpdateAlignment = false,
        };
        using var trainer = new Trainer(config);
        for (int i = 0; i < warmup; i++)
        {
            session.Cancellation.ThrowIfCancellationRequested();
            trainer.TrainStep();
        }
        var milliseconds = new double[steps];
        for (int i = 0; i < steps; i++)
        {
            session.Cancellation.ThrowIfCancellationRequested();
            long start = Stopwatch.GetTimestamp();
            trainer.TrainStep(); // reads the loss back, so the step has finished on the device
            milliseconds[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        double median = Timing.Median(milliseconds);
        string shape = string.Create(CultureInfo.InvariantCulture,
            $"{(presetName == "tiny" ? "T" : "S")}: layers {config.Layers}, heads {config.Heads}, width {config.Width}, " +
            $"block {config.BlockSize}, batch {config.BatchSize}");
        string backend = trainer.Device.Id;
        Write(session, new BenchRecord("train_step", backend, shape, median, "ms/iter"));
        Write(session, new BenchRecord("train_tokens", backend, shape, config.BatchSize * config.BlockSize * 1000.0 / median, "tokens/s"));
    }

    private static void Write(CliSession session, BenchRecord record)
    {
        session.Out.WriteLine(record.ToString());
        session.Out.Flush();
    }
}
