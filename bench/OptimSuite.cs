using Engine.Kernels.Devices;
using Engine.Optim;

namespace Engine.Bench;

/// <summary>
/// Optimizer steps on 10M fp32 parameters, as one tensor and as 100 tensors of 100k (equal thanks to the flat
/// store): the fused chain (ms per step, and GB/s at its bytes per parameter: AdamW 28, +4 for the clip's
/// reduction, SGD-momentum 20) and AdamW run transform by transform. Records are named "optim_step" with the
/// chain and layout in <c>shape</c>.
/// </summary>
public static class OptimSuite
{
    public const int Parameters = 10_000_000;

    private static readonly (string Name, Func<TransformChain> Chain, int BytesPerParam)[] Chains =
    [
        ("adamw", () => Optimizers.AdamW(3e-4, weightDecay: 0.1), 28),
        ("adamw_clip", () => Optimizers.AdamW(3e-4, weightDecay: 0.1, clip: 1.0), 32),
        ("sgd_momentum", () => Optimizers.Sgd(0.1, momentum: 0.9), 20),
    ];

    public static IEnumerable<BenchRecord> Run(ComputeDevice device, bool quick)
    {
        int reps = quick ? 5 : 20;
        foreach (var (layout, shapes) in Layouts())
        {
            using var store = new ParameterStore(device);
            for (int k = 0; k < shapes.Length; k++) store.Register($"w{k}", shapes[k]);
            store.Allocate();
            device.FillRandom(new BufferSlice(store.Values.Buffer, 0), store.Count, 1, RandomDistribution.Normal, 0, 0.02f);
            device.FillRandom(new BufferSlice(store.Grads.Buffer, 0), store.Count, 2, RandomDistribution.Normal, 0, 1e-3f);
            foreach (var (name, chain, bytes) in Chains)
            {
                using var optimizer = new Optimizer(store, chain());
                double t = Timing.MedianSeconds(optimizer.Step, device.Synchronize, reps: reps);
                yield return new BenchRecord("optim_step", device.Id, $"{name} {layout}", t * 1e3, "ms");
                yield return new BenchRecord("optim_step", device.Id, $"{name} {layout}", (double)bytes * store.Count / t / 1e9, "GB/s");
                if (name != "adamw") continue;
                double staged = Timing.MedianSeconds(optimizer.StepTransformByTransform, device.Synchronize, reps: reps);
                yield return new BenchRecord("optim_step", device.Id, $"{name}_transform_by_transform {layout}", staged * 1e3, "ms");
            }
        }
    }

    private static IEnumerable<(string Layout, int[][] Shapes)> Layouts()
    {
        yield return ($"{Parameters}x1", [[Parameters / 1000, 1000]]);
        yield return ("100x100000", Enumerable.Range(0, 100).Select(_ => new[] { 100, 1000 }).ToArray());
    }
}
