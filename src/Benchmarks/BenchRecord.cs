using System.Text.Json;
using System.Text.Json.Serialization;

namespace Engine.Benchmarks;

/// <summary>One measured figure, printed as one JSON line.</summary>
public sealed record BenchRecord(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("backend")] string Backend,
    [property: JsonPropertyName("shape")] string Shape,
    [property: JsonPropertyName("value")] double Value,
    [property: JsonPropertyName("unit")] string Unit)
{
    /// <summary>The JSON line, the value kept to 4 significant digits (a GPU step of 0.176 ms is not "0.18").</summary>
    public override string ToString() => JsonSerializer.Serialize(this with { Value = Significant(Value, 4) });

    private static double Significant(double value, int digits)
    {
        if (value == 0 || !double.IsFinite(value)) return value;
        int magnitude = (int)Math.Floor(Math.Log10(Math.Abs(value))) + 1;
        int decimals = digits - magnitude;
        return decimals >= 0 ? Math.Round(value, Math.Min(decimals, 15)) : Math.Round(value / Math.Pow(10, -decimals)) * Math.Pow(10, -decimals);
    }
}
