using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;

namespace Engine.Bench;

/// <summary>
/// The `--quick` suite: GEMM (square and the transformer's shapes), the STREAM triad and a fused elementwise
/// chain against the same chain unfused, and fused optimizer steps, on every backend present. One JSON object per line on stdout;
/// notes (absent backends) on stderr.
/// </summary>
public static class QuickBench
{
    public static int Run(string[] args)
    {
        var backends = args.Length > 0 ? args : ["cpu", "opencl"];
        foreach (var id in backends)
        {
            ComputeDevice device;
            try { device = DeviceRegistry.Open(id); }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"skipping {id}: {e.Message}");
                continue;
            }
            Console.Error.WriteLine($"# {device}");
            bool cpu = device.Kind == DeviceKind.Cpu;
            foreach (var r in GemmSuite.Run(device, quick: true, cpu ? [128, 256, 512, 1024, 2048] : [256, 1024])) Console.WriteLine(r);
            foreach (var r in ElementwiseSuite.Run(device, quick: true)) Console.WriteLine(r);
            foreach (var r in OptimSuite.Run(device, quick: true)) Console.WriteLine(r);
        }
        return 0;
    }
}
