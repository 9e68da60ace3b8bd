namespace Engine.Kernels.Devices;

/// <summary>
/// What a device's buffers hold (<see cref="ComputeDevice.GetMemoryInfo"/>): 4 bytes per element of every undisposed
/// <see cref="DeviceBuffer"/>, whatever the backend adds for alignment. Work memory a backend keeps outside buffers (the
/// cpu GEMM's packing workspaces) is not in it.
/// </summary>
/// <param name="LiveBytes">Bytes of the buffers not yet disposed.</param>
/// <param name="PeakBytes">The most <paramref name="LiveBytes"/> has been since the device opened or <see cref="ComputeDevice.ResetPeakMemory"/>.</param>
/// <param name="LiveBufferCount">Buffers not yet disposed.</param>
/// <param name="AllocationCount">Buffers allocated since the device opened.</param>
/// <param name="PooledBytes">
/// Memory the backend keeps from disposed buffers for reuse, on top of <paramref name="LiveBytes"/> (the cpu pool; on
/// cuda, what the device's stream-ordered pool reserves beyond its allocations, for the whole process; 0 on OpenCL):
/// with it, what the process holds for buffers.
/// </param>
public readonly record struct DeviceMemoryInfo(long LiveBytes, long PeakBytes, long LiveBufferCount, long AllocationCount, long PooledBytes);
