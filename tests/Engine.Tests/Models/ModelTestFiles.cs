namespace Engine.Tests.Models;

/// <summary>Shared test inputs: the tinyshakespeare file beside the repository, and scratch directories.</summary>
internal static class ModelTestFiles
{
    private static readonly Lazy<string> ShakespearePath = new(FindShakespeare);
    private static readonly Lazy<string> ShakespeareText = new(() => File.ReadAllText(ShakespearePath.Value));

    /// <summary>Path of ../shared/data/tinyshakespeare.txt relative to the repository root (found by walking up from bin/).</summary>
    public static string ShakespeareFile => ShakespearePath.Value;

    /// <summary>The contents of <see cref="ShakespeareFile"/>.</summary>
    public static string Shakespeare => ShakespeareText.Value;

    /// <summary>A fresh empty directory, removed when the returned handle is disposed.</summary>
    public static Cli.TempDirectory CreateTempDirectory() => new();

    private static string FindShakespeare()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "tinyshakespeare.txt");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(
            $"tinyshakespeare.txt not found in a shared/data folder above {AppContext.BaseDirectory}; " +
            "clone the repository with shared/ beside it.");
    }
}
