using BenchmarkDotNet.Running;
using Engine.Bench;

// `--quick`: a fixed set of measurements printed as JSON lines (under two minutes).
// Anything else goes to BenchmarkDotNet, e.g. `-- --filter '*Gemm*'`.
if (args.Contains("--quick"))
    return QuickBench.Run(args.Where(a => a != "--quick").ToArray());
BenchmarkSwitcher.FromAssembly(typeof(QuickBench).Assembly).Run(args);
return 0;
