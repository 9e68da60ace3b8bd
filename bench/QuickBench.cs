using Engine.Benchmarks;
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
    private static readonly string[] Suites = ["gemm", "elementwise", "optim"];

    /// <param name="args">Backend ids (default cpu and opencl), and optionally <c>--only gemm|elementwise|optim</c>.</param>
    public static int Run(string[] args)
    {
        int only = Array.IndexOf(args, "--only");
        string? suite = only >= 0 && only + 1 < args.Length ? args[only + 1] : null;
        if (only >= 0 && (suite is null || !Suites.Contains(suite)))
        {
            Console.Error.WriteLine($"--only takes one of {string.Join(", ", Suites)}");
            return 2;
        }
        args = only >= 0 ? args.Where((_, i) => i != only && i != only + 1).ToArray() : args;
        bool Runs(string name) => suite is null || suite == name;
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
            if (Runs("gemm"))
                foreach (var r in GemmSuite.Run(device, quick: true, cpu ? [128, 256, 512, 1024, 2048] : [256, 1024, 4096])) Console.WriteLine(r);
            if (Runs("elementwise"))
                foreach (var r in ElementwiseSuite.Run(device, quick: true)) Console.WriteLine(r);
            if (Runs("optim"))
                foreach (var r in OptimSuite.Run(device, quick: true)) Console.WriteLine(r);
        }
        return 0;
    }
}
