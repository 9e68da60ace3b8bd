namespace Engine.Kernels.Devices;

/// <summary>A device's live and peak buffer bytes, counted as buffers are created and disposed. Thread-safe.</summary>
internal sealed class MemoryCounter
{
    private long _live, _peak, _buffers, _allocations;

    public void Allocated(long bytes)
    {
        Interlocked.Increment(ref _buffers);
        Interlocked.Increment(ref _allocations);
        long live = Interlocked.Add(ref _live, bytes);
        long peak = Volatile.Read(ref _peak);
        while (live > peak)
        {
            long seen = Interlocked.CompareExchange(ref _peak, live, peak);
            if (seen == peak) break;
            peak = seen;
        }
    }

    public void Released(long bytes)
    {
        Interlocked.Decrement(ref _buffers);
        Interlocked.Add(ref _live, -bytes);
    }

    public void ResetPeak() => Interlocked.Exchange(ref _peak, Volatile.Read(ref _live));

    public DeviceMemoryStats Read(long pooledBytes) =>
        new(Volatile.Read(ref _live), Volatile.Read(ref _peak), Volatile.Read(ref _buffers), Volatile.Read(ref _allocations), pooledBytes);
}
