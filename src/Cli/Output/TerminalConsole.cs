using Spectre.Console;

namespace Engine.Cli.Output;

/// <summary>A Spectre console writing to a given writer (standard output, or a test's writer) with detected capabilities.</summary>
internal static class TerminalConsole
{
    public static IAnsiConsole Create(TextWriter output) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(output),
        Ansi = AnsiSupport.Detect,
        ColorSystem = ColorSystemSupport.Detect,
        Interactive = InteractionSupport.Detect,
    });
}
