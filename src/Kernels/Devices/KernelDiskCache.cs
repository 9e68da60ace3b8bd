using System.Security.Cryptography;

namespace Engine.Kernels.Devices;

/// <summary>
/// Compiled program binaries on disk, one file per key. Each file is a magic tag, the SHA-256 of the payload
/// and the payload, so a truncated or corrupted file is detected and ignored (the caller rebuilds and overwrites it).
/// Files are written to a temporary name and renamed, so concurrent processes never read a half-written file.
/// The cache is only an accelerator: I/O failures make it miss, never fail a build.
/// </summary>
internal sealed class KernelDiskCache
{
    private static readonly byte[] Magic = "ENGCLBIN"u8.ToArray();
    private const int HeaderBytes = 8 + 32;

    public KernelDiskCache(string directory) => Directory = directory;

    public string Directory { get; }

    /// <summary>$ENGINE_KERNEL_CACHE, else $XDG_CACHE_HOME/engine/kernels, else ~/.cache/engine/kernels.</summary>
    public static string DefaultDirectory()
    {
        var explicitDir = Environment.GetEnvironmentVariable("ENGINE_KERNEL_CACHE");
        if (!string.IsNullOrEmpty(explicitDir)) return explicitDir;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrEmpty(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "engine", "kernels");
    }

    public string PathOf(string key) => Path.Combine(Directory, key + ".bin");

    /// <summary>The stored payload, or null when the file is missing, unreadable or fails its checksum.</summary>
    public byte[]? TryRead(string key)
    {
        byte[] file;
        try
        {
            file = File.ReadAllBytes(PathOf(key));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        if (file.Length < HeaderBytes || !file.AsSpan(0, Magic.Length).SequenceEqual(Magic)) return null;
        var payload = file.AsSpan(HeaderBytes);
        return SHA256.HashData(payload).AsSpan().SequenceEqual(file.AsSpan(Magic.Length, 32)) ? payload.ToArray() : null;
    }

    public void Write(string key, ReadOnlySpan<byte> payload)
    {
        var target = PathOf(key);
        var temp = $"{target}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(Magic);
                stream.Write(SHA256.HashData(payload));
                stream.Write(payload);
            }
            File.Move(temp, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
        }
    }

    public void Remove(string key) => TryDelete(PathOf(key));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another process may hold or have removed it; a stale entry only costs a rebuild.
        }
    }
}
