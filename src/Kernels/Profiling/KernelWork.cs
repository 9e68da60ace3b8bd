namespace Engine.Kernels.Profiling;

/// <summary>What one kernel launch moves and computes, when its caller knows; zero means unknown.</summary>
public readonly record struct KernelWork(long Bytes, double Flops);
