using Engine.Kernels.Devices;

namespace Engine.Kernels.Fusion;

/// <summary>
/// CONTRACT PLACEHOLDER (replaced by the fusion compiler): a compiled elementwise/reduction expression.
/// </summary>
public sealed partial class FusedProgram
{
    public int InputCount { get; }
    public int OutputCount { get; }
    public int ScalarCount { get; }
    public int ReductionCount { get; }

    /// <summary>Runs on the CPU backend (vectorized delegate, all cores).</summary>
    public void ExecuteOnCpu(FusedLaunch launch) => throw new NotSupportedException("fusion compiler not built yet");

    /// <summary>Runs on a GPU backend through its launcher (OpenCL or CUDA dialect).</summary>
    public void ExecuteOnGpu(FusedLaunch launch, IKernelLauncher launcher) => throw new NotSupportedException("fusion compiler not built yet");
}
