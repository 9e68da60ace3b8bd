using System.Runtime.InteropServices;
using Engine.Cli;

// The first Ctrl-C (SIGINT) or SIGTERM (kill, timeout, docker stop, Slurm at the end of a job) asks the running command
// to stop between steps, checkpoints intact; a second one ends the process at once. The exit code is 128 + the signal,
// as shells report it: 130 after SIGINT, 143 after SIGTERM, so a job scheduler still sees that it was stopped.
using var interrupt = new CancellationTokenSource();
bool terminated = false;
Console.CancelKeyPress += (_, e) =>
{
    if (interrupt.IsCancellationRequested) return;
    e.Cancel = true;
    interrupt.Cancel();
};
using var termination = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    if (interrupt.IsCancellationRequested) return;
    context.Cancel = true;
    terminated = true;
    interrupt.Cancel();
});
int code = EngineProgram.Run(args, new CliSession(Console.Out, Console.Error, !Console.IsOutputRedirected, interrupt.Token));
return code == ExitCodes.Interrupted && terminated ? ExitCodes.Terminated : code;
