using System.CommandLine;

namespace Engine.Cli;

/// <summary>
/// An empty value for a flag that names something (<c>--data ""</c>, usually an unset shell variable) is refused while
/// parsing, naming the flag; otherwise it would surface later as a file-system error that names nothing.
/// </summary>
internal static class EmptyValues
{
    public static Option<T> RejectingEmpty<T>(this Option<T> option)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Any(token => token.Value.Length == 0)) result.AddError($"{option.Name} needs a value, got an empty string");
        });
        return option;
    }
}
