using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Engine.Models.Config;
using Engine.Models.Training;

namespace Engine.Cli.Commands;

/// <summary>
/// <c>engine bench</c>: times full training steps (batch, forward, loss, backward, fused optimizer step) of a preset
/// on a device and prints one JSON line per figure in the bench program's format
/// (<c>{"name","backend","shape","value","unit"}</c>). The value is the median over the timed steps, after warm-up
/// steps that let kernels compile and caches fill.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(CliSession session)
    {
        var quick = new Option<bool>("--quick") { Description = "the short suite: 10 warm-up steps, 50 timed (otherwise 20 and 200)" };
        var preset = new Option<string>("--preset") { Description = "model and batch: tiny (config T) | small", DefaultValueFactory = _ => "tiny" };
        var device = CommonOptions.Device();
        var warmup = new Option<int?>("--warmup") { Description = "warm-up steps (overrides the suite's)" };
        var steps = new Option<int?>("--steps") { Description = "timed steps (overrides the suite's)" };
        var command = new Command("bench", "Time training steps; prints JSON lines like the bench program.") { quick, preset, device, warmup, steps };
        command.SetAction(result =>
        {
            bool isQuick = result.GetValue(quick);
            return Run(session, result.GetRequiredValue(preset), result.GetRequiredValue(device),
                result.GetValue(warmup) ?? (isQuick ? 10 : 20), result.GetValue(steps) ?? (isQuick ? 50 : 200));
        });
        return command;
    }

    private static int Run(CliSession session, string presetName, string deviceId, int warmup, int steps)
    {
        if (warmup < 0) throw new UsageException($"--warmup must be >= 0 (got {warmup})");
        if (steps < 1) throw new UsageException($"--steps must be > 0 (got {steps})");
        var preset = presetName switch
        {
            "tiny" => TrainConfig.Tiny,
            "small" => TrainConfig.Small,
            _ => throw new UsageException($"--preset must be tiny or small (got '{presetName}')"),
        };
        // Steps only, never a checkpoint: the out dir is never written.
        var config = preset with { Device = deviceId, OutDir = Path.Combine(Path.GetTempPath(), "engine-bench-unused") };
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
        double median = Median(milliseconds);
        string shape = string.Create(CultureInfo.InvariantCulture,
            $"{(presetName == "tiny" ? "T" : "S")}: layers {config.Layers}, heads {config.Heads}, width {config.Width}, " +
            $"block {config.BlockSize}, batch {config.BatchSize}");
        string backend = trainer.Device.Kind.ToString().ToLowerInvariant();
        Write(session, "train_step", backend, shape, median, "ms/iter");
        Write(session, "train_tokens", backend, shape, config.BatchSize * config.BlockSize * 1000.0 / median, "tokens/s");
        return ExitCodes.Success;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static void Write(CliSession session, string name, string backend, string shape, double value, string unit)
    {
        session.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["name"] = name,
            ["backend"] = backend,
            ["shape"] = shape,
            ["value"] = Math.Round(value, 2),
            ["unit"] = unit,
        }));
        session.Out.Flush();
    }
}
