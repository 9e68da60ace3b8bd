namespace Engine.Cli.Comparison;

/// <summary>
/// Runs of one configuration under one label (typically the seeds of a method at its learning rate), from a
/// command-line argument <c>[LABEL=]PATH[,PATH...]</c>; without a label, the first path's name is the label.
/// </summary>
internal sealed record RunGroup(string Label, IReadOnlyList<MetricsLog> Runs)
{
    public static RunGroup Parse(string argument)
    {
        int equals = argument.IndexOf('=');
        var label = equals > 0 ? argument[..equals].Trim() : null;
        var paths = (equals > 0 ? argument[(equals + 1)..] : argument)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (paths.Length == 0)
            throw new UsageException($"'{argument}' names no run (expected [LABEL=]PATH[,PATH...], PATH a run's --out-dir or metrics.jsonl)");
        var runs = paths.Select(MetricsLog.Load).ToList();
        return new RunGroup(label ?? NameOf(paths[0]), runs);
    }

    /// <summary>A folder's own name, or a file's folder name for a metrics.jsonl.</summary>
    private static string NameOf(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        var name = Directory.Exists(full) ? Path.GetFileName(full) : Path.GetFileName(Path.GetDirectoryName(full)) ?? full;
        return string.IsNullOrEmpty(name) ? full : name;
    }
}
