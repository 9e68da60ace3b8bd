using System.Globalization;

namespace Engine.Models.Data;

/// <summary>
/// The full state of a <see cref="Xoshiro256StarStar"/> generator. Its text form (four 16-digit hex words joined by
/// '-') survives JSON without the precision loss a 64-bit number can suffer in other readers.
/// </summary>
public readonly record struct RngState(ulong S0, ulong S1, ulong S2, ulong S3)
{
    /// <summary>Whether this state can drive the generator (xoshiro's all-zero state only ever yields zero).</summary>
    public bool IsValid => (S0 | S1 | S2 | S3) != 0;

    /// <inheritdoc/>
    public override string ToString() => $"{S0:x16}-{S1:x16}-{S2:x16}-{S3:x16}";

    /// <summary>Parses the text form written by <see cref="ToString"/>.</summary>
    /// <exception cref="FormatException">Not four 16-digit hex words, or the all-zero state.</exception>
    public static RngState Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('-');
        var words = new ulong[4];
        bool wellFormed = parts.Length == 4;
        for (int i = 0; wellFormed && i < 4; i++)
            wellFormed = parts[i].Length == 16 && ulong.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out words[i]);
        if (!wellFormed)
            throw new FormatException($"RNG state \"{text}\" is not four 16-digit hex words joined by '-'.");
        var state = new RngState(words[0], words[1], words[2], words[3]);
        if (!state.IsValid) throw new FormatException("RNG state is all zeros, which xoshiro256** cannot use.");
        return state;
    }
}
