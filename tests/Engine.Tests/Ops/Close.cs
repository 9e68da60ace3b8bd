using Xunit.Sdk;

namespace Engine.Tests.Ops;

/// <summary>Tolerance checks against double references, with messages that say where the mismatch is.</summary>
internal static class Close
{
    /// <summary>Fails unless |actual - expected| &lt;= relative * scale + absolute.</summary>
    public static void Check(double expected, double actual, double scale, string where,
                             double relative = 1e-5, double absolute = 1e-6)
    {
        double allowed = relative * Math.Abs(scale) + absolute;
        if (!(Math.Abs(actual - expected) <= allowed) && !(double.IsNaN(expected) && double.IsNaN(actual)))
            throw new XunitException($"{where}: expected {expected:R}, got {actual:R} (|error| {Math.Abs(actual - expected):E3} > {allowed:E3})");
    }

    public static void All(double[] expected, float[] actual, string what, double relative = 1e-5, double absolute = 1e-6)
    {
        if (expected.Length != actual.Length)
            throw new XunitException($"{what}: expected {expected.Length} values, got {actual.Length}");
        for (int i = 0; i < expected.Length; i++)
            Check(expected[i], actual[i], expected[i], $"{what}[{i}]", relative, absolute);
    }
}
