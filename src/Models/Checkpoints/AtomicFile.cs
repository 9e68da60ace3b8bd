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
