using Engine.Kernels.Devices;
using Engine.Kernels.Cuda;
using Engine.Kernels.OpenCl;
using Engine.Models.Checkpoints;
using Engine.Models.Data;
using Engine.Models.Text;
using Engine.Models.Training;
using Engine.Optim;

namespace Engine.Cli;

/// <summary>
/// Turns a failure into one line on standard error ("engine: error: ...") and an exit code. Known failures (bad
/// data, checkpoint, configuration, device, kernel build) print their message; anything else is a bug and also
/// says how to get the stack trace. With ENGINE_DEBUG=1 the full exception follows the line.
/// </summary>
public static class ErrorReporter
{
    public const string DebugVariable = "ENGINE_DEBUG";

    /// <summary>Writes the report for <paramref name="exception"/> to <paramref name="error"/>; returns the exit code.</summary>
    public static int Report(Exception exception, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(error);
        var (line, code) = Describe(exception);
        error.WriteLine(line);
        if (DebugEnabled) error.WriteLine(exception.ToString());
        error.Flush();
        return code;
    }

    /// <summary>The one line and the exit code for <paramref name="exception"/>.</summary>
    public static (string Line, int ExitCode) Describe(Exception exception)
    {
        if (exception is AggregateException { InnerExceptions.Count: 1 } aggregate) return Describe(aggregate.InnerExceptions[0]);
        if (exception is OperationCanceledException)
            return ("engine: interrupted", ExitCodes.Interrupted);
        if (IsKnown(exception))
            return ($"engine: error: {FirstLine(UserMessage(exception), out bool more)}{(more ? Hint("the full message") : "")}", ExitCodes.Error);
        return ($"engine: error: unexpected {exception.GetType().Name}: {FirstLine(exception.Message, out _)}{Hint("the stack trace")}", ExitCodes.Error);
    }

    /// <summary>Whether ENGINE_DEBUG asks for stack traces.</summary>
    public static bool DebugEnabled => Environment.GetEnvironmentVariable(DebugVariable) is { Length: > 0 } value && value != "0";

    private static string Hint(string what) => DebugEnabled ? "" : $" (run with {DebugVariable}=1 for {what})";

    private static bool IsKnown(Exception e) => e is UsageException or DataException or CheckpointException or CheckpointMismatchException or TokenizerException
        or KernelBuildException or OpenClException or CudaException or OptimizerDivergedException or ArgumentException or IOException
        or UnauthorizedAccessException;

    // ArgumentException appends " (Parameter 'name')", which means nothing to someone typing flags.
    internal static string UserMessage(Exception e) =>
        e is ArgumentException { ParamName: { } param } && e.Message.EndsWith($" (Parameter '{param}')", StringComparison.Ordinal)
            ? e.Message[..^$" (Parameter '{param}')".Length]
            : e.Message;

    private static string FirstLine(string message, out bool more)
    {
        var trimmed = message.Trim();
        int newline = trimmed.IndexOfAny(['\r', '\n']);
        more = newline >= 0;
        return more ? trimmed[..newline].TrimEnd() : trimmed;
    }
}
