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
    public override string ToString() => JsonSerializer.Serialize(this with { Value = Math.Round(Value, 2) });
}
