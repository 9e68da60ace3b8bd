using System.Text.Json;
using Engine.Benchmarks;
using Xunit;

namespace Engine.Tests.Cli;

/// <summary>Bench JSON lines keep four significant digits, whatever the magnitude.</summary>
public class BenchRecordTests
{
    [Theory]
    [InlineData(0.17634, 0.1763)]
    [InlineData(0.0012346, 0.001235)]
    [InlineData(-0.77, -0.77)]
    [InlineData(117509.35, 117500)]
    [InlineData(1465.2, 1465)]
    [InlineData(0, 0)]
    public void ValuesKeepFourSignificantDigits(double value, double printed)
    {
        var json = JsonDocument.Parse(new BenchRecord("optim_step", "cuda:0", "adamw 1x[100,100000]", value, "ms").ToString());
        Assert.Equal(printed, json.RootElement.GetProperty("value").GetDouble(), 12);
    }
}
