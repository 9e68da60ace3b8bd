using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Engine.Tests.Cli;

/// <summary>
/// The engine program in a process of its own (engine.dll beside the tests, run by the same dotnet host), for what an
/// in-process run cannot show: signals, and a process that dies without cleaning up.
/// </summary>
internal sealed partial class EngineProcess : IDisposable
{
    public const int SigTerm = 15;

    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly System.Text.StringBuilder _error = new();

    public EngineProcess(params string[] args)
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "engine.dll"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) _lines.CompleteAdding();
            else _lines.Add(e.Data);
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_error) _error.AppendLine(e.Data);
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Waits until standard output shows a line containing <paramref name="marker"/>.</summary>
    public void WaitForLine(string marker, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_lines.TryTake(out var line, deadline - DateTime.UtcNow > TimeSpan.Zero ? deadline - DateTime.UtcNow : TimeSpan.Zero))
            if (line.Contains(marker, StringComparison.Ordinal)) return;
        throw new TimeoutException($"no line with '{marker}' from the engine process; stderr: {Error}");
    }

    /// <summary>Sends signal <paramref name="signal"/> (kill(2)).</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0) throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Ends the process with SIGKILL: no handler runs, nothing is flushed or released but by the OS.</summary>
    public void KillHard() => _process.Kill();

    /// <summary>The exit code, once the process ends (within <paramref name="timeout"/>).</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) throw new TimeoutException($"the engine process did not end; stderr: {Error}");
        _process.WaitForExit();   // drains the redirected streams
        return _process.ExitCode;
    }

    public string Error
    {
        get { lock (_error) return _error.ToString(); }
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.Dispose();
        _lines.Dispose();
    }

    /// <summary>The dotnet host running the tests (dotnet test names it in DOTNET_HOST_PATH), else dotnet on the PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
        : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
        : "dotnet";

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
