using System.Globalization;

namespace Engine.Models.Checkpoints;

/// <summary>
/// An exclusive lock on a training run's output directory, held for the run's lifetime so that two runs never write
/// the same checkpoints and metrics. It is an operating-system lock on <see cref="LockFileName"/> (a share-none handle:
/// flock on Unix): the OS drops it when the process ends, however it ends, so a crashed or killed run never leaves a
/// stale lock behind. The locked file cannot be read by anyone else, so the holder's process id goes to
/// <see cref="OwnerFileName"/> beside it, for the message a refused run prints.
/// </summary>
public sealed class RunDirectoryLock : IDisposable
{
    /// <summary>The file whose handle is the lock; it stays in the directory (deleting it would race another taker).</summary>
    public const string LockFileName = ".engine-train.lock";

    /// <summary>The process id of the last holder, one line.</summary>
    public const string OwnerFileName = ".engine-train.pid";

    private readonly FileStream _handle;
    private readonly string _directory;
    private readonly bool _createdDirectory;

    private RunDirectoryLock(FileStream handle, string directory, bool createdDirectory)
    {
        _handle = handle;
        _directory = directory;
        _createdDirectory = createdDirectory;
    }

    /// <summary>
    /// Takes the lock of <paramref name="directory"/>, creating the directory when needed; returns null when another
    /// handle holds it, with <paramref name="ownerProcessId"/> the holder's process id when it recorded one.
    /// </summary>
    /// <exception cref="IOException">The directory cannot be created or written.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory cannot be written.</exception>
    public static RunDirectoryLock? TryAcquire(string directory, out int? ownerProcessId)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ownerProcessId = null;
        bool created = !Directory.Exists(directory);
        Directory.CreateDirectory(directory);
        FileStream handle;
        try
        {
            handle = new FileStream(Path.Combine(directory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (HeldElsewhere(e))
        {
            ownerProcessId = ReadOwner(directory);
            return null;
        }
        try
        {
            File.WriteAllText(Path.Combine(directory, OwnerFileName), Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        return new RunDirectoryLock(handle, directory, created);
    }

    /// <summary>
    /// Releases the lock. A directory this lock created and nothing else wrote into (a run refused before its first
    /// write) is removed again, so a failed start leaves no trace.
    /// </summary>
    public void Dispose()
    {
        bool onlyOurs = _createdDirectory && Directory.EnumerateFileSystemEntries(_directory)
            .All(p => Path.GetFileName(p) is LockFileName or OwnerFileName);
        if (onlyOurs)
        {
            // Unlinked while still held, so no other run can be holding this file when it goes.
            File.Delete(Path.Combine(_directory, OwnerFileName));
            File.Delete(Path.Combine(_directory, LockFileName));
        }
        _handle.Dispose();
        if (!onlyOurs) return;
        try
        {
            Directory.Delete(_directory);
        }
        catch (IOException)
        {
            // Another run created something there in the meantime: the directory is its now.
        }
    }

    private static int? ReadOwner(string directory)
    {
        try
        {
            return int.TryParse(File.ReadAllText(Path.Combine(directory, OwnerFileName)).Trim(), NumberStyles.None,
                CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Whether opening the lock file failed because another handle holds it (not for lack of rights or space).</summary>
    private static bool HeldElsewhere(IOException e) => OperatingSystem.IsWindows()
        ? (e.HResult & 0xFFFF) is 32 or 33      // ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION
        : e.HResult is 11 or 35;                // EWOULDBLOCK from flock on Linux, macOS
}
