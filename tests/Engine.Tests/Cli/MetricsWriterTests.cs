using System.Text.Json;
using Engine.Cli.Output;
using Engine.Kernels.Devices;
using Engine.Models.Training;
using Xunit;

namespace Engine.Tests.Cli;

public sealed class MetricsWriterTests
{
    [Fact]
    public void AppendsOneFlushedJsonObjectPerStep()
    {
        using var dir = new TempDirectory();
        var path = dir.File("out/metrics.jsonl");
        using (var writer = new MetricsWriter(path))
        {
            writer.Write(new TrainProgress(10, 20, 2.5, null, 1e-3, 0.75, 1234.5, 8.2, TimeSpan.FromSeconds(3)));
            // Readable while open: each line is flushed as it is written.
            Assert.Single(ReadShared(path));
        }
        using (var writer = new MetricsWriter(path, startStep: 10))   // resumed at step 10
            writer.Write(new TrainProgress(20, 20, 2.25, 2.4, 5e-4, double.NaN, 999, 9.1, TimeSpan.FromSeconds(6),
                                           Memory: new DeviceMemoryInfo(12_500_000, 40_000_000, 7, 99, 0)));

        var lines = File.ReadAllLines(path);
        Assert.Equal(2, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal(10, first.RootElement.GetProperty("step").GetInt64());
        Assert.Equal(2.5, first.RootElement.GetProperty("train_loss").GetDouble());
        Assert.False(first.RootElement.TryGetProperty("val_loss", out _));
        Assert.Equal(1e-3, first.RootElement.GetProperty("lr").GetDouble());
        Assert.Equal(0.75, first.RootElement.GetProperty("grad_norm").GetDouble());
        Assert.Equal(1234.5, first.RootElement.GetProperty("tokens_per_s").GetDouble());
        Assert.Equal(8.2, first.RootElement.GetProperty("ms_per_iter").GetDouble());
        using var second = JsonDocument.Parse(lines[1]);
        Assert.Equal(2.4, second.RootElement.GetProperty("val_loss").GetDouble());
        Assert.Equal(JsonValueKind.Null, second.RootElement.GetProperty("grad_norm").ValueKind);
        Assert.Equal(12.5, second.RootElement.GetProperty("mem_mb").GetDouble());
        Assert.Equal(40.0, second.RootElement.GetProperty("peak_mem_mb").GetDouble());
        Assert.False(first.RootElement.TryGetProperty("mem_mb", out _));
    }

    [Fact]
    public void StabilityMetricsAreWrittenWhenMeasured()
    {
        var logStep = new StabilityReport(0.25, 0.3, DaWindow: null, DaRun: null);
        var evalStep = new StabilityReport(0.25, 0.3, 0.9, 0.8, ValLossEma: 2.1, Perturbation: 0.05,
                                           PerturbationByTensor: new Dictionary<string, double> { ["wte.weight"] = 0.5, ["h.0.bias"] = double.NaN });
        using var log = JsonDocument.Parse(MetricsWriter.Serialize(Progress(logStep)));
        Assert.Equal(0.25, log.RootElement.GetProperty("gv_window").GetDouble());
        Assert.Equal(0.3, log.RootElement.GetProperty("gv_run").GetDouble());
        foreach (var absent in new[] { "da_window", "da_run", "val_loss_ema", "perturbation", "perturbation_by_tensor" })
            Assert.False(log.RootElement.TryGetProperty(absent, out _), absent);

        using var eval = JsonDocument.Parse(MetricsWriter.Serialize(Progress(evalStep)));
        Assert.Equal(0.9, eval.RootElement.GetProperty("da_window").GetDouble());
        Assert.Equal(0.8, eval.RootElement.GetProperty("da_run").GetDouble());
        Assert.Equal(2.1, eval.RootElement.GetProperty("val_loss_ema").GetDouble());
        Assert.Equal(0.05, eval.RootElement.GetProperty("perturbation").GetDouble());
        var byTensor = eval.RootElement.GetProperty("perturbation_by_tensor");
        Assert.Equal(0.5, byTensor.GetProperty("wte.weight").GetDouble());
        Assert.Equal(JsonValueKind.Null, byTensor.GetProperty("h.0.bias").ValueKind);

        static TrainProgress Progress(StabilityReport stability) =>
            new(10, 20, 2.5, null, 1e-3, 0.75, 1234.5, 8.2, TimeSpan.FromSeconds(3), Stability: stability);
    }

    [Fact]
    public void AResumedRunDropsWhatWasLoggedAfterItsCheckpointAndAFreshRunStartsOver()
    {
        using var dir = new TempDirectory();
        // Steps 5 and 10 before the checkpoint at 10; 15 and a line cut by a crash after it.
        var path = dir.File("metrics.jsonl",
            "{\"step\":5,\"train_loss\":3}\n{\"step\":10,\"train_loss\":2.9}\n{\"step\":15,\"train_loss\":null}\n{\"step\":20,\"train_lo");
        using (var writer = new MetricsWriter(path, startStep: 10))
            writer.Write(new TrainProgress(15, 20, 2.5, null, 1e-3, 0.75, 1234.5, 8.2, TimeSpan.FromSeconds(3)));
        Assert.Equal([5L, 10, 15], Steps(path));
        Assert.Equal(2.5, JsonDocument.Parse(File.ReadAllLines(path)[2]).RootElement.GetProperty("train_loss").GetDouble());

        using (var writer = new MetricsWriter(path))   // a fresh run in the same folder
            writer.Write(new TrainProgress(5, 20, 3.1, null, 1e-3, 0.75, 1234.5, 8.2, TimeSpan.FromSeconds(3)));
        Assert.Equal([5L], Steps(path));
    }

    private static long[] Steps(string path) =>
        File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt64()).ToArray();

    private static string[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
