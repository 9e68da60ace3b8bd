namespace Engine.Kernels.Profiling;

/// <summary>One timed kernel run: device-side duration in nanoseconds, plus the caller's work estimate if any.</summary>
public readonly record struct KernelRecord(string Kernel, string Device, long DurationNs, KernelWork Work);
