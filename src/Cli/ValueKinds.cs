using System.Globalization;
using System.Numerics;

namespace Engine.Cli;

/// <summary>
/// What a flag or YAML value of a given type must look like, in plain words ("an integer", "a number"), and the
/// message for text that is not one: a number too large for its type is "out of range" with the range, not "not a
/// number". Shared by the training settings and by every typed option of the other commands.
/// </summary>
internal static class ValueKinds
{
    /// <summary>"an integer", "a non-negative integer", "a number", "true or false" or "a string".</summary>
    public static string Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(int) || type == typeof(long) ? "an integer"
            : type == typeof(ulong) ? "a non-negative integer"
            : type == typeof(float) || type == typeof(double) ? "a number"
            : type == typeof(bool) ? "true or false"
            : "a string";
    }

    /// <summary>
    /// Why <paramref name="text"/> is not a value of <paramref name="type"/>, for <paramref name="subject"/> (a flag, or
    /// "key 'lr'"): "--lr is out of range: 1e40 (a number from -3.4028235E+38 to 3.4028235E+38)" or
    /// "--layers must be an integer, got 'four'".
    /// </summary>
    public static string Problem(string subject, Type type, string text) =>
        RangeOf(Nullable.GetUnderlyingType(type) ?? type, text) is { } range
            ? $"{subject} is out of range: {text} ({Describe(type)} from {range.Min} to {range.Max})"
            : $"{subject} must be {Describe(type)}, got '{text}'";

    /// <summary>The range of <paramref name="type"/> when <paramref name="text"/> is a number of its kind outside it; else null.</summary>
    private static (string Min, string Max)? RangeOf(Type type, string text)
    {
        bool integer = BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big);
        if (type == typeof(int) && integer) return (int.MinValue.ToString(CultureInfo.InvariantCulture), int.MaxValue.ToString(CultureInfo.InvariantCulture));
        if (type == typeof(long) && integer) return (long.MinValue.ToString(CultureInfo.InvariantCulture), long.MaxValue.ToString(CultureInfo.InvariantCulture));
        if (type == typeof(ulong) && integer && big.Sign >= 0) return ("0", ulong.MaxValue.ToString(CultureInfo.InvariantCulture));
        // .NET parses a finite decimal beyond the type's range as infinity; "Infinity" or "NaN" written out is not one.
        bool beyond = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !double.IsNaN(d)
                      && text.Any(char.IsAsciiDigit);
        if (type == typeof(float) && beyond && float.IsInfinity((float)d))
            return (float.MinValue.ToString("R", CultureInfo.InvariantCulture), float.MaxValue.ToString("R", CultureInfo.InvariantCulture));
        if (type == typeof(double) && beyond && double.IsInfinity(d))
            return (double.MinValue.ToString("R", CultureInfo.InvariantCulture), double.MaxValue.ToString("R", CultureInfo.InvariantCulture));
        return null;
    }
}
