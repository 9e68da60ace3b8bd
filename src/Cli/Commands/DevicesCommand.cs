using System.CommandLine;
using System.Globalization;
using Engine.Cli.Output;
using Engine.Kernels.Devices;
using Spectre.Console;

namespace Engine.Cli.Commands;

/// <summary><c>engine devices</c>: every device with its kind, name and memory, and why each absent backend is absent.</summary>
internal static class DevicesCommand
{
    public static Command Create(CliSession session)
    {
        var command = new Command("devices", "List the compute devices and explain absent backends.");
        command.SetAction(_ => Run(session));
        return command;
    }

    private static int Run(CliSession session)
    {
        var devices = DeviceRegistry.List();
        var absent = AbsentBackends();
        if (session.IsTerminal) WriteTable(session.Out, devices, absent);
        else WritePlain(session.Out, devices, absent);
        session.Out.Flush();
        return ExitCodes.Success;
    }

    private static List<(string Backend, string Reason)> AbsentBackends()
    {
        var absent = new List<(string, string)>();
        if (DeviceRegistry.OpenClAbsenceReason is { } openCl) absent.Add(("opencl", openCl));
        if (DeviceRegistry.CudaAbsenceReason is { } cuda) absent.Add(("cuda", cuda));
        return absent;
    }

    private static void WritePlain(TextWriter output, IReadOnlyList<DeviceInfo> devices, List<(string Backend, string Reason)> absent)
    {
        foreach (var d in devices)
            output.WriteLine($"{d.Id}\t{KindName(d.Kind)}\t{d.Name}\t{FormatMemory(d.MemoryBytes)}\t{FormatDetails(d)}");
        foreach (var (backend, reason) in absent) output.WriteLine($"{backend}\tabsent\t{reason}");
    }

    private static void WriteTable(TextWriter output, IReadOnlyList<DeviceInfo> devices, List<(string Backend, string Reason)> absent)
    {
        var console = TerminalConsole.Create(output);
        var table = new Table().AddColumns("id", "kind", "name", "memory", "details");
        foreach (var d in devices)
            table.AddRow(Markup.Escape(d.Id), KindName(d.Kind), Markup.Escape(d.Name), FormatMemory(d.MemoryBytes), Markup.Escape(FormatDetails(d)));
        console.Write(table);
        foreach (var (backend, reason) in absent)
            console.MarkupLine($"[yellow]{backend}[/]: absent: {Markup.Escape(reason)}");
    }

    private static string KindName(DeviceKind kind) => kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.OpenCl => "opencl",
        DeviceKind.Cuda => "cuda",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static string FormatMemory(long bytes) =>
        string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):F1} GiB");

    private static string FormatDetails(DeviceInfo device) => string.Join(", ", device.Details.Select(d => $"{d.Key} {d.Value}"));
}
