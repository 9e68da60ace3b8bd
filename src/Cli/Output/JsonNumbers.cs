using System.Text.Json;

namespace Engine.Cli.Output;

/// <summary>JSON has no NaN or infinity: the program's JSON output writes a non-finite number as null.</summary>
internal static class JsonNumbers
{
    public static void Write(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteNull(name);
    }

    public static void WriteValue(Utf8JsonWriter json, double value)
    {
        if (double.IsFinite(value)) json.WriteNumberValue(value);
        else json.WriteNullValue();
    }
}
