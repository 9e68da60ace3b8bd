using System.CommandLine;
using System.Globalization;
using System.Reflection;
using Engine.Models.Config;

namespace Engine.Cli.Configuration;

/// <summary>
/// One property of <see cref="TrainConfig"/> as the program exposes it: the YAML key (snake_case), the flag
/// (kebab-case), the command-line option, and how to parse a YAML scalar into the property's type.
/// </summary>
internal sealed class TrainSetting
{
    private readonly PropertyInfo _property;

    private TrainSetting(PropertyInfo property, string key, Option<string[]> option)
    {
        _property = property;
        Key = key;
        Option = option;
    }

    /// <summary>The YAML key, e.g. "block_size".</summary>
    public string Key { get; }

    /// <summary>The flag without dashes, e.g. "block-size".</summary>
    public string Flag => Key.Replace('_', '-');

    /// <summary>The command-line option, e.g. "--block-size".</summary>
    public Option<string[]> Option { get; }

    /// <summary>What a YAML value must look like, for error messages ("an integer", "a number", ...).</summary>
    public string ExpectedKind => ValueKinds.Describe(_property.PropertyType);

    /// <summary>Whether the property accepts null (YAML "~" or an empty value).</summary>
    public bool IsNullable => _property.PropertyType == typeof(string) && IsNullableReference(_property);

    public static TrainSetting For(PropertyInfo property, string description)
    {
        string key = SnakeCase(property.Name);
        var type = property.PropertyType;
        if (type != typeof(int) && type != typeof(float) && type != typeof(ulong) && type != typeof(string) && type != typeof(bool))
            throw new InvalidOperationException($"TrainConfig.{property.Name} has type {type.Name}, which the program cannot read from flags or YAML.");
        // Strings, parsed here like YAML values, so a repeated flag can override an earlier one (last wins).
        var option = new Option<string[]>("--" + key.Replace('_', '-'))
        {
            Description = description,
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        // Every string setting names something (a file, a choice); YAML's "~" is how to say "none".
        if (type == typeof(string)) option.RejectingEmpty();
        return new TrainSetting(property, key, option);
    }

    /// <summary>The value the flag was last given, or false when the flag is absent.</summary>
    /// <exception cref="UsageException">The value is not of the setting's type.</exception>
    public bool TryReadFlag(ParseResult result, out object? value)
    {
        value = null;
        if (result.GetValue(Option) is not [.., var text]) return false;
        if (!TryParseScalar(text, out value)) throw new UsageException(Problem($"--{Flag}", text));
        return true;
    }

    /// <summary>Parses a YAML scalar (null for "~"/empty); false when the text is not of the property's type.</summary>
    public bool TryParseScalar(string? text, out object? value)
    {
        value = null;
        var type = _property.PropertyType;
        if (text is null) return IsNullable;
        if (type == typeof(string)) { value = text; return true; }
        if (type == typeof(int) && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)) { value = i; return true; }
        if (type == typeof(bool) && bool.TryParse(text, out var b)) { value = b; return true; }
        if (type == typeof(ulong) && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var u)) { value = u; return true; }
        if (type == typeof(float) && float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && float.IsFinite(f))
        {
            value = f;
            return true;
        }
        return false;
    }

    /// <summary>Why <paramref name="text"/>, which <see cref="TryParseScalar"/> refused, is not a value of this setting.</summary>
    public string Problem(string subject, string text) => ValueKinds.Problem(subject, _property.PropertyType, text);

    /// <summary>A copy of <paramref name="config"/> with this setting replaced by <paramref name="value"/>.</summary>
    public TrainConfig Apply(TrainConfig config, object? value)
    {
        var copy = config with { };
        _property.SetValue(copy, value);
        return copy;
    }

    /// <summary>The setting's value in <paramref name="config"/>.</summary>
    public object? ValueIn(TrainConfig config) => _property.GetValue(config);

    private static bool IsNullableReference(PropertyInfo property) =>
        new NullabilityInfoContext().Create(property).WriteState == NullabilityState.Nullable;

    private static string SnakeCase(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}
