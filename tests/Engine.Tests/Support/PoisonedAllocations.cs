using System.Runtime.CompilerServices;
using Engine.Kernels.Devices;

namespace Engine.Tests.Support;

/// <summary>
/// Every test runs with uninitialized device buffers filled with NaN: a kernel that leaves part of an output it was
/// trusted to write in full shows as NaN in the comparison with its reference instead of passing on stale zeros.
/// </summary>
internal static class PoisonedAllocations
{
    [ModuleInitializer]
    internal static void Enable() => ComputeDevice.PoisonUninitialized = true;
}
