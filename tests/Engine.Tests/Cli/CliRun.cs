using Engine.Cli;
using Xunit;

namespace Engine.Tests.Cli;

/// <summary>The outcome of running the program in-process: exit code and everything it printed.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error)
{
    public static CliRun Of(params string[] args) => Of(CancellationToken.None, args);

    public static CliRun Of(CancellationToken cancellation, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = EngineProgram.Run(args, output, error, cancellation);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Stderr lines (without empty ones).</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Asserts a failed run that printed exactly one "engine: error:" line containing every fragment; returns it.</summary>
    public string SingleErrorLine(params string[] fragments)
    {
        Assert.True(ExitCode != 0, $"expected failure, got exit 0; stdout: {Out}");
        var lines = ErrorLines;
        Assert.True(lines.Length == 1, $"expected one stderr line, got {lines.Length}:\n{Error}");
        Assert.StartsWith("engine: error: ", lines[0]);
        foreach (var fragment in fragments) Assert.Contains(fragment, lines[0]);
        return lines[0];
    }
}
