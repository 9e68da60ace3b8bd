namespace Engine.Cli.Comparison;

/// <summary>
/// Runs of one configuration under one label (typically the seeds of a method at its learning rate), from a
/// command-line argument <c>[LABEL=]PATH[,PATH...]</c>; without a label, the first path's name is the label.
/// </summary>
internal sealed record RunGroup(string Label, IReadOnlyList<MetricsLog> Runs)
{
    public static RunGroup Parse(string argument)
    {
        var (label, list) = Split(argument);
        var paths = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (paths.Length == 0)
            throw new UsageException($"'{argument}' names no run (expected [LABEL=]PATH[,PATH...], PATH a run's --out-dir or metrics.jsonl)");
        var runs = paths.Select(MetricsLog.Load).ToList();
        return new RunGroup(label ?? NameOf(paths[0]), runs);
    }

    /// <summary>
    /// The label and the path list. Folder names like <c>lr=0.004</c> are common, so an argument that exists as a path
    /// is a path, and an '=' counts as the label's end only when no directory separator comes before it.
    /// </summary>
    private static (string? Label, string Paths) Split(string argument)
    {
        int equals = argument.IndexOf('=');
        if (equals < 0 || File.Exists(argument) || Directory.Exists(argument)) return (null, argument);
        var label = argument[..equals];
        if (label.IndexOfAny(['/', '\\']) >= 0) return (null, argument);
        if (label.Trim().Length == 0) throw new UsageException($"'{argument}': the label before '=' is empty");
        return (label.Trim(), argument[(equals + 1)..]);
    }

    /// <summary>A folder's own name, or a file's folder name for a metrics.jsonl.</summary>
    public static string NameOf(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var name = Directory.Exists(full) ? Path.GetFileName(full) : Path.GetFileName(Path.GetDirectoryName(full));
        return string.IsNullOrEmpty(name) ? full : name;
    }
}
