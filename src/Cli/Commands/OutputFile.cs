namespace Engine.Cli.Commands;

/// <summary>Checks of a file a command will write, made before any work so a typo does not cost a whole run.</summary>
internal static class OutputFile
{
    public static void RequireWritable(string flag, string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UsageException($"{flag} needs a file name");
        if (Directory.Exists(path)) throw new UsageException($"{flag}: '{path}' is a folder; name a file");
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null && !Directory.Exists(folder)) throw new UsageException($"{flag}: folder '{folder}' does not exist");
    }
}
