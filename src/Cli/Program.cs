using Engine.Cli;

// The first Ctrl-C asks the running command to stop between steps (exit 130, checkpoints intact); a second one
// ends the process at once.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (interrupt.IsCancellationRequested) return;
    e.Cancel = true;
    interrupt.Cancel();
};
return EngineProgram.Run(args, new CliSession(Console.Out, Console.Error, !Console.IsOutputRedirected, interrupt.Token));
