namespace Engine.Tests.Cli;

/// <summary>Standard output that runs an action, once, when the first line containing a marker is written.</summary>
internal sealed class LineTriggerWriter(string marker, Action action) : StringWriter
{
    private bool _fired;

    public override void WriteLine(string? value)
    {
        base.WriteLine(value);
        if (_fired || value is null || !value.Contains(marker, StringComparison.Ordinal)) return;
        _fired = true;
        action();
    }
}
