using System.Text;
using System.Text.Json;
using Engine.Cli.Output;
using Engine.Models.Training;
using Xunit;

namespace Engine.Tests.Methods;

public class MethodMetricsOutputTests
{
    private static TrainProgress Progress(IReadOnlyDictionary<string, double>? metrics) =>
        new(10, 100, 2.5, null, 1e-3, 0.75, 1000, 12, TimeSpan.FromSeconds(3), metrics);

    private static readonly Dictionary<string, double> Cgfm = new()
    {
        ["cgfm.step_multiplier"] = 1.625, ["cgfm.global_fraction"] = 0.25,
    };

    [Fact]
    public void ProgressLinesShowTheMethodScalarsAfterTheGradientNorm()
    {
        var line = ProgressView.Describe(Progress(Cgfm), 0);
        Assert.Contains("|g| 0.750  s_t 1.625  |g_glob|/|g| 0.250  1,000 tok/s", line);
        var sgg = ProgressView.Describe(Progress(new Dictionary<string, double> { ["sgg.cos_g_gs"] = -0.5, ["sgg.clip_rate"] = 0.1 }), 0);
        Assert.Contains("cos(g,g_s) -0.500  clip 0.100", sgg);
        Assert.DoesNotContain("s_t", ProgressView.Describe(Progress(null), 0));
    }

    [Fact]
    public void MetricsRecordsCarryTheMethodScalarsUnderSnakeCaseKeys()
    {
        var json = JsonDocument.Parse(Encoding.UTF8.GetString(MetricsWriter.Serialize(Progress(Cgfm)))).RootElement;
        Assert.Equal(1.625, json.GetProperty("cgfm_step_multiplier").GetDouble());
        Assert.Equal(0.25, json.GetProperty("cgfm_global_fraction").GetDouble());
        var plain = JsonDocument.Parse(Encoding.UTF8.GetString(MetricsWriter.Serialize(Progress(null)))).RootElement;
        Assert.False(plain.TryGetProperty("cgfm_step_multiplier", out _));
    }
}
