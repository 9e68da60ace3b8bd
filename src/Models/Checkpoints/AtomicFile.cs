namespace Engine.Models.Checkpoints;

/// <summary>
/// Replaces a file so that readers see either the old or the new contents, never a mix: the bytes go to a temp
/// file in the same directory (so the rename stays on one file system), are flushed to disk, then renamed over the
/// target. A failure at any point leaves the target untouched and removes the temp file.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Suffix of in-progress temp files; a crash can leave one behind, and loaders ignore them.</summary>
    public const string TempSuffix = ".tmp";

    /// <summary>
    /// Deletes the temp files a killed writer left in <paramref name="directory"/> (".NAME.GUID.tmp") whose target NAME
    /// <paramref name="ofTarget"/> accepts; returns their names. Call it only where no writer can be at work, e.g. under
    /// the directory's <see cref="RunDirectoryLock"/>, since a live writer's temp file looks the same.
    /// </summary>
    public static IReadOnlyList<string> RemoveStaleTemporaries(string directory, Func<string, bool> ofTarget)
    {
        var removed = new List<string>();
        foreach (var path in Directory.EnumerateFiles(directory, "." + "*" + TempSuffix))
        {
            var name = Path.GetFileName(path);
            // "." + target + "." + 32 hex digits + ".tmp"
            int guidStart = name.Length - TempSuffix.Length - 32;
            if (guidStart < 3 || name[guidStart - 1] != '.' || !Guid.TryParseExact(name.AsSpan(guidStart, 32), "N", out _)) continue;
            if (!ofTarget(name[1..(guidStart - 1)])) continue;
            File.Delete(path);
            removed.Add(name);
        }
        return removed;
    }

    /// <param name="wrap">Test seam: wraps the stream the bytes are written through (e.g. to simulate a crash).</param>
    public static void Write(string path, byte[] contents, Func<Stream, Stream>? wrap = null) =>
        Write(path, stream => stream.Write(contents), wrap);

    /// <summary>Streams the contents through <paramref name="write"/> (large files need not be held in memory).</summary>
    public static void Write(string path, Action<Stream> write, Func<Stream, Stream>? wrap = null)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                var target = wrap?.Invoke(file) ?? file;
                write(target);
                target.Flush();
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
