namespace Engine.Cli;

/// <summary>
/// Where one invocation of the program writes and what it listens to: standard output and error, whether standard
/// output is an interactive terminal (Spectre tables and live progress) or a pipe/file/CI log (plain lines), and the
/// token Ctrl-C cancels.
/// </summary>
public sealed record CliSession(TextWriter Out, TextWriter Error, bool IsTerminal, CancellationToken Cancellation)
{
    /// <summary>"engine: warning: MESSAGE" on standard error: something the user must know that does not stop the command.</summary>
    public void Warn(string message) => Error.WriteLine($"engine: warning: {message}");
}
