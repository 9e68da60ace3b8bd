using Engine.Kernels.Profiling;

namespace Engine.Kernels.Devices;

/// <summary>Source dialect a GPU backend compiles: the portable prelude maps both onto one text.</summary>
public enum KernelDialect { OpenCl, Cuda }

/// <summary>A kernel compiled for one device, ready to launch.</summary>
public abstract class CompiledKernel
{
    protected CompiledKernel(string name) => Name = name;
    public string Name { get; }
}

/// <summary>
/// What a GPU backend offers to code that generates kernels (the fusion compiler): compile a source
/// text (cached by the backend, on disk where possible) and launch it. Both OpenCL and CUDA implement it,
/// so generated kernels are launched the same way on either.
/// </summary>
public interface IKernelLauncher
{
    KernelDialect Dialect { get; }

    /// <summary>Largest 1-D work-group (block) size every kernel may use on this device; a power of two.</summary>
    int MaxWorkGroupSize { get; }

    /// <summary>
    /// Work-groups of the partial pass of a fused reduction: enough to keep every compute unit busy, and fixed per
    /// device, so the summation order never depends on the size.
    /// </summary>
    int ReductionGroups { get; }

    /// <summary>
    /// Compiles <paramref name="source"/> (the prelude is prepended by the backend) and returns kernel
    /// <paramref name="kernelName"/>. <paramref name="sourceName"/> is the file name build errors point at.
    /// Compiled programs are cached in memory and on disk; a build failure throws
    /// <see cref="KernelBuildException"/> with the log mapped to sourceName:line.
    /// </summary>
    CompiledKernel GetKernel(string source, string sourceName, string kernelName, string options = "");

    /// <summary>
    /// Enqueues a 1-D/2-D/3-D launch. <paramref name="localSize"/> empty lets the backend choose;
    /// global sizes must be multiples of local sizes when given.
    /// </summary>
    void Launch(CompiledKernel kernel, ReadOnlySpan<long> globalSize, ReadOnlySpan<long> localSize, ReadOnlySpan<KernelArg> args);

    /// <summary>
    /// <see cref="Launch(CompiledKernel, ReadOnlySpan{long}, ReadOnlySpan{long}, ReadOnlySpan{KernelArg})"/> that also tells
    /// <see cref="KernelProfiler"/> what to call the launch (generated kernels have generated names) and what it moves and
    /// computes. A backend that does not time kernels ignores both.
    /// </summary>
    void Launch(CompiledKernel kernel, ReadOnlySpan<long> globalSize, ReadOnlySpan<long> localSize, ReadOnlySpan<KernelArg> args,
                string profileName, KernelWork work) => Launch(kernel, globalSize, localSize, args);

    /// <summary>
    /// Scratch memory owned by the launcher, reused between launches (at least <paramref name="length"/> elements).
    /// Every user of a scratch buffer holds <see cref="ScratchLock"/> from the first launch that writes it to the
    /// last that reads it: a device is shared by threads, and one buffer per purpose cannot serve two sequences at once.
    /// </summary>
    DeviceBuffer Scratch(string purpose, long length);

    /// <summary>Held (it is re-entrant) for the whole of a launch sequence that uses <see cref="Scratch"/> buffers.</summary>
    Lock ScratchLock { get; }
}
