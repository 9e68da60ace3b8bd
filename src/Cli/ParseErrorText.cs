using System.CommandLine;
using System.CommandLine.Parsing;

namespace Engine.Cli;

/// <summary>
/// The one line a parse error prints. The parser's own message for a value of the wrong type names a .NET type
/// ("as expected type 'System.Nullable`1[System.Double]'"); that one is rewritten to name the flag and the expected
/// kind in plain words (<see cref="ValueKinds"/>). Messages that list choices one per line are joined into one.
/// </summary>
internal static class ParseErrorText
{
    public static string Of(ParseError error)
    {
        if (error.Message.StartsWith("Cannot parse argument", StringComparison.Ordinal)
            && OptionOf(error.SymbolResult) is { } option && TokenOf(error) is { } text)
            return ValueKinds.Problem(option.Option.Name, option.Option.ValueType, text);
        return string.Join(" ", error.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static OptionResult? OptionOf(SymbolResult? result) => result as OptionResult ?? result?.Parent as OptionResult;

    /// <summary>The value the parser refused: the token its message quotes.</summary>
    private static string? TokenOf(ParseError error) =>
        error.SymbolResult?.Tokens.Select(t => t.Value).LastOrDefault(v => error.Message.Contains($"'{v}'", StringComparison.Ordinal));
}
