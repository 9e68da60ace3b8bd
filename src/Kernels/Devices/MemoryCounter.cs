namespace Engine.Kernels.Devices;

/// <summary>
/// A device's live and peak buffer bytes, counted as buffers are created and disposed. One lock: a snapshot is
/// consistent, and a peak reset cannot race an allocation (a few hundred buffers per training step make it cheap).
/// </summary>
internal sealed class MemoryCounter
{
    private readonly Lock _sync = new();
    private long _live, _peak, _buffers, _allocations;

    public void Allocated(long bytes)
    {
        lock (_sync)
        {
            _buffers++;
            _allocations++;
            _live += bytes;
            _peak = Math.Max(_peak, _live);
        }
    }

    public void Released(long bytes)
    {
        lock (_sync)
        {
            _buffers--;
            _live -= bytes;
        }
    }

    public void ResetPeak()
    {
        lock (_sync) _peak = _live;
    }

    public DeviceMemoryInfo Read(long pooledBytes)
    {
        lock (_sync) return new DeviceMemoryInfo(_live, _peak, _buffers, _allocations, pooledBytes);
    }
}
