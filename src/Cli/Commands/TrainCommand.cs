using System.CommandLine;
using System.Globalization;
using Engine.Cli.Comparison;
using Engine.Cli.Configuration;
using Engine.Cli.Output;
using Engine.Kernels.Devices;
using Engine.Models.Checkpoints;
using Engine.Models.Config;
using Engine.Models.Training;

namespace Engine.Cli.Commands;

/// <summary>
/// <c>engine train</c>: trains a GPT on <c>--data</c> (or the generated corpus) with progress on standard output,
/// one metrics.jsonl record per logged step, and checkpoints in <c>--out-dir</c> (the trainer writes them every
/// checkpoint interval, at the end and when stopped by Ctrl-C or SIGTERM).
/// </summary>
internal static class TrainCommand
{
    public static Command Create(CliSession session)
    {
        var options = new TrainOptions();
        var command = new Command("train", "Train a GPT model; settings from --preset, then --config FILE (YAML), then flags.");
        options.AddTo(command);
        command.SetAction(result => result.GetValue(options.Resume) ? Resume(session, options, result) : Start(session, options, result));
        return command;
    }

    private static int Start(CliSession session, TrainOptions options, ParseResult result)
    {
        var (config, given) = options.ReadNewRun(result);
        // Held until the run ends: a second run into the same folder would interleave its metrics and checkpoints.
        using var outDirLock = TrainOutDir.Lock(config.OutDir);
        TrainOutDir.RequireNoCheckpoints(config.OutDir);
        using var trainer = new Trainer(config, device: OpenDevice(config.Device, given, checkpoint: null));
        return Run(session, trainer);
    }

    /// <summary>--resume: the checkpoint's settings, with what the command line gives on top (<see cref="ResumedConfig"/>).</summary>
    private static int Resume(CliSession session, TrainOptions options, ParseResult result)
    {
        var (given, outDir) = options.ReadResumeRequest(result);
        var none = new UsageException($"--resume: no checkpoint in --out-dir '{outDir}' to continue from (drop --resume to start a new run)");
        if (!Directory.Exists(outDir)) throw none;
        // Locked first: a folder another run is still writing is reported as in use, not as lacking a checkpoint.
        using var outDirLock = TrainOutDir.Lock(outDir);
        var checkpoint = (TrainOutDir.HasCheckpoints(outDir) ? new CheckpointStore(outDir).LoadLatest(session.Warn) : null) ?? throw none;
        var config = ResumedConfig.Merge(CheckpointLocator.TrainConfigOf(checkpoint), checkpoint.Name, given, outDir, result.GetValue(options.Config));
        using var trainer = new Trainer(config, checkpoint, OpenDevice(config.Device, given, checkpoint.Name));
        return Run(session, trainer);
    }

    /// <summary>
    /// The run's device, opened before the trainer so that an unknown one is named with where it was set: a YAML line, or
    /// the checkpoint a resumed run took it from (a --device flag names itself).
    /// </summary>
    private static ComputeDevice OpenDevice(string id, IReadOnlyList<GivenSetting> given, string? checkpoint)
    {
        try
        {
            return DeviceRegistry.Open(id);
        }
        catch (ArgumentException e)
        {
            var message = ErrorReporter.UserMessage(e);
            var setting = given.LastOrDefault(g => g.Setting.Key == "device");
            if (setting is not null && !setting.Origin.StartsWith("--", StringComparison.Ordinal))
                throw new UsageException($"{setting.Origin}: key 'device': {message}");
            if (setting is null && checkpoint is not null)
                throw new UsageException($"{message} (the device checkpoint '{checkpoint}' was trained on; --device picks another)");
            throw;
        }
    }

    private static int Run(CliSession session, Trainer trainer)
    {
        var config = trainer.Config;
        foreach (var warning in trainer.Warnings) session.Warn(warning);
        using var metrics = TrainOutDir.OpenMetrics(config.OutDir, trainer.Step);
        long firstStep = trainer.Step;
        var result = ProgressView.For(session).Run(firstStep, config.MaxIters, sink =>
        {
            sink.Note(Describe(trainer));
            return trainer.Run(new Reporter(sink, metrics), session.Cancellation);
        });
        metrics.Dispose();
        var curves = LossCurves.Write(metrics.Path, Path.Combine(config.OutDir, LossCurves.FileName), $"--optim {config.Optim}, {RunGroup.NameOf(config.OutDir)}");
        if (result.Diverged)
        {
            session.Out.WriteLine(curves);
            // The learning-rate schedule is one of the settings a resumed run may change (ResumeRules).
            string lr = config.Optim == "muon" ? "--muon-lr (and --lr)" : "--lr";
            string advice = trainer.LastCheckpoint is { } last && last != trainer.ResumedFrom
                ? $"the last checkpoint, {Path.Combine(config.OutDir, last)}, was written before it: continue from it with --resume and a lower {lr}"
                : trainer.ResumedFrom is { } resumed
                    ? $"no checkpoint was written since resuming from '{resumed}': resume again with a lower {lr}, or start over in another --out-dir"
                    : $"no checkpoint was written: lower {lr} (or raise --warmup-iters) and train again";
            session.Error.WriteLine($"engine: error: training diverged at step {result.Step} ({result.Divergence}); {advice}");
            return ExitCodes.Error;
        }
        if (result.Cancelled)
        {
            session.Error.WriteLine($"engine: interrupted at step {result.Step}; {SavedAt(config, result)}; continue with --resume");
            session.Out.WriteLine(curves);
            return ExitCodes.Interrupted;
        }
        session.Out.WriteLine(result.Step == firstStep
            ? $"nothing to do: already at step {result.Step} of --max-iters {config.MaxIters}"
            : string.Create(CultureInfo.InvariantCulture,
                $"done: step {result.Step}, train loss {result.TrainLoss:F4}, val loss {result.ValLoss:F4}, " +
                $"{PeakMemory(trainer.Device)}; {SavedAt(config, result)}"));
        session.Out.WriteLine($"metrics: {metrics.Path}");
        session.Out.WriteLine(curves);
        return ExitCodes.Success;
    }

    private static string Describe(Trainer trainer)
    {
        var model = trainer.Model.Config;
        var start = trainer.ResumedFrom is { } name ? $"resuming from checkpoint '{name}' at step {trainer.Step}"
            : trainer.InitializedFrom is { } initial ? $"starting a new run from the weights of '{initial}' (--init-from {trainer.Config.InitFrom})"
            : "starting a new run";
        var validation = trainer.Config.ValData is not null ? $", validation: {trainer.Data.ValSource}" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{start}: {model.ParameterCount:N0} parameters (layers {model.Layers}, heads {model.Heads}, width {model.Width}, " +
            $"block {model.BlockSize}, vocab {model.VocabSize}) on {trainer.Device}; data: {trainer.Data.Corpus.Source}{validation}");
    }

    /// <summary>"peak buffer memory 63.4 MB (+1.2 MB kept by the cpu pool)": the device's buffers at their peak.</summary>
    private static string PeakMemory(ComputeDevice device)
    {
        var memory = device.GetMemoryInfo();
        var pool = device.Kind == DeviceKind.Cpu ? "the cpu pool" : $"{device.Id}'s memory pool";
        return string.Create(CultureInfo.InvariantCulture,
            $"peak buffer memory {memory.PeakBytes / 1e6:F1} MB{(memory.PooledBytes > 0 ? $" (+{memory.PooledBytes / 1e6:F1} MB kept by {pool})" : "")}");
    }

    private static string SavedAt(TrainConfig config, TrainResult result) =>
        result.Checkpoint is { } name ? $"checkpoint {Path.Combine(config.OutDir, name)}" : "no new checkpoint";

    /// <summary>Passes each report to the view and the metrics file on the trainer's thread, in order.</summary>
    private sealed class Reporter(IProgressSink sink, MetricsWriter metrics) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value)
        {
            metrics.Write(value);
            sink.Step(value);
        }
    }
}
