namespace Engine.Tests.Cli;

/// <summary>Standard output that presses Ctrl-C (cancels) as soon as a line containing a marker is written.</summary>
internal sealed class CancellingWriter(string marker, CancellationTokenSource interrupt) : StringWriter
{
    public override void WriteLine(string? value)
    {
        base.WriteLine(value);
        if (value is not null && value.Contains(marker, StringComparison.Ordinal)) interrupt.Cancel();
    }
}
