using System.Runtime.InteropServices;

namespace Engine.Kernels.Cpu;

/// <summary>
/// Keeps released host blocks for reuse, keyed by exact size. A training step frees and reallocates the same
/// temporaries every step; without the pool each large one goes back to the OS (glibc maps blocks over 32 MB
/// afresh) and costs a page fault per 4 KB when it is touched again. Bounded: beyond <see cref="LimitBytes"/>
/// of cached blocks, released memory is freed at once. Thread-safe.
/// </summary>
internal sealed unsafe class CpuMemoryPool
{
    private const nuint Alignment = 64;
    private readonly Dictionary<nuint, Stack<nint>> _free = new();
    private readonly Lock _sync = new();
    private long _cachedBytes;
    private bool _closed;

    public CpuMemoryPool(long limitBytes) => LimitBytes = limitBytes;

    public long LimitBytes { get; }

    /// <summary>Bytes held for reuse right now.</summary>
    public long CachedBytes { get { lock (_sync) return _cachedBytes; } }

    /// <summary>A 64-byte aligned block of <paramref name="bytes"/> bytes; its contents are undefined.</summary>
    public void* Rent(nuint bytes)
    {
        lock (_sync)
        {
            if (_free.TryGetValue(bytes, out var blocks) && blocks.Count > 0)
            {
                _cachedBytes -= (long)bytes;
                return (void*)blocks.Pop();
            }
        }
        return NativeMemory.AlignedAlloc(bytes, Alignment);
    }

    public void Return(void* block, nuint bytes)
    {
        lock (_sync)
        {
            if (!_closed && _cachedBytes + (long)bytes <= LimitBytes)
            {
                if (!_free.TryGetValue(bytes, out var blocks)) _free[bytes] = blocks = new Stack<nint>();
                blocks.Push((nint)block);
                _cachedBytes += (long)bytes;
                return;
            }
        }
        NativeMemory.AlignedFree(block);
    }

    /// <summary>Frees every cached block; after this, returned blocks are freed at once (the device is gone).</summary>
    public void Close()
    {
        lock (_sync)
        {
            _closed = true;
            foreach (var blocks in _free.Values)
                while (blocks.Count > 0) NativeMemory.AlignedFree((void*)blocks.Pop());
            _free.Clear();
            _cachedBytes = 0;
        }
    }
}
