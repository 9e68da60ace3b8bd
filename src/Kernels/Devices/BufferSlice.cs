namespace Engine.Kernels.Devices;

/// <summary>A buffer plus an element offset: where a kernel operand starts.</summary>
public readonly record struct BufferSlice(DeviceBuffer Buffer, long Offset)
{
    public static implicit operator BufferSlice(DeviceBuffer buffer) => new(buffer, 0);
}

/// <summary>
/// A strided view of a buffer: element (i0, i1, ...) lives at Offset + sum(ik * Strides[k]).
/// Strides are in elements and may be 0 (broadcast).
/// </summary>
public readonly record struct StridedSlice(DeviceBuffer Buffer, long Offset, long[] Shape, long[] Strides)
{
    public long Count
    {
        get { long n = 1; foreach (var d in Shape) n *= d; return n; }
    }
}
