namespace Engine.Kernels.Devices;

/// <summary>
/// What a device's buffers hold (<see cref="ComputeDevice.MemoryStats"/>): bytes are 4 per element of every undisposed
/// <see cref="DeviceBuffer"/>, whatever the backend adds for alignment.
/// </summary>
/// <param name="LiveBytes">Bytes of the buffers not yet disposed.</param>
/// <param name="PeakBytes">The most <paramref name="LiveBytes"/> has been since the device opened or <see cref="ComputeDevice.ResetPeakMemory"/>.</param>
/// <param name="LiveBuffers">Buffers not yet disposed.</param>
/// <param name="Allocations">Buffers allocated since the device opened.</param>
/// <param name="PooledBytes">Memory the backend keeps from disposed buffers for reuse (the cpu pool; 0 elsewhere).</param>
public readonly record struct DeviceMemoryStats(long LiveBytes, long PeakBytes, long LiveBuffers, long Allocations, long PooledBytes);
