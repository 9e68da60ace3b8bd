using Engine.Kernels.Devices;
using Engine.Kernels.Profiling;

namespace Engine.Tests.Profiling;

/// <summary>Runs an action with the profiler on (from a clean slate) and returns the records it left on one device.</summary>
internal static class Profiled
{
    public static KernelRecord[] Run(ComputeDevice device, Action action)
    {
        device.Synchronize();
        KernelProfiler.Reset();
        KernelProfiler.Enable();
        try
        {
            action();
            device.Synchronize();
        }
        finally
        {
            KernelProfiler.Disable();
        }
        var records = KernelProfiler.Records.Where(r => r.Device == device.Id).ToArray();
        KernelProfiler.Reset();
        return records;
    }
}
