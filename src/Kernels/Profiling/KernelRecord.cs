namespace Engine.Kernels.Profiling;

/// <summary>
/// One timed kernel run: when it started (nanoseconds on the host clock since the profiler's epoch, the last
/// <see cref="KernelProfiler.Reset"/>), how long it ran on its device, and the caller's work estimate if any.
/// </summary>
public readonly record struct KernelRecord(string Kernel, string Device, long StartNs, long DurationNs, KernelWork Work);
