using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using Engine.Cli.Commands;

namespace Engine.Cli;

/// <summary>
/// The <c>engine</c> command tree. <see cref="Run(string[], CliSession)"/> is the whole program minus the process
/// plumbing, so tests run commands in-process and read what they print.
/// </summary>
public static class EngineProgram
{
    /// <summary>Runs the program with output captured in <paramref name="output"/> and <paramref name="error"/> (not a terminal).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, CancellationToken cancellation = default) =>
        Run(args, new CliSession(output, error, IsTerminal: false, cancellation));

    /// <summary>Parses <paramref name="args"/> and runs the command; failures become one line on standard error.</summary>
    public static int Run(string[] args, CliSession session)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(session);
        try
        {
            var parsed = CreateRoot(session).Parse(args.Length == 0 ? ["--help"] : args);
            if (parsed.Errors.Count > 0 && parsed.Action is not HelpAction)
            {
                // "Unrecognized command" explains more than the "Required command was not provided" that accompanies it.
                var error = parsed.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parsed.Errors[0];
                session.Error.WriteLine($"engine: error: {ParseErrorText.Of(error)} (see '{CommandPath(parsed.CommandResult)} --help')");
                return ExitCodes.Usage;
            }
            return parsed.Invoke(new InvocationConfiguration
            {
                Output = session.Out,
                Error = session.Error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            });
        }
        catch (Exception e)
        {
            return ErrorReporter.Report(e, session.Error);
        }
    }

    private static string CommandPath(CommandResult result) =>
        result.Parent is CommandResult parent ? $"{CommandPath(parent)} {result.Command.Name}" : "engine";

    private static RootCommand CreateRoot(CliSession session) => new("engine: train, sample and evaluate small GPT models on cpu, OpenCL or CUDA.")
    {
        TrainCommand.Create(session),
        SampleCommand.Create(session),
        EvalCommand.Create(session),
        DevicesCommand.Create(session),
        BenchCommand.Create(session),
        ProfileCommand.Create(session),
        CompareCommand.Create(session),
    };
}
