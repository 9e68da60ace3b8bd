using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;
using Engine.Optim;
using Engine.Tests.Ops;
using Xunit;

namespace Engine.Tests.Optim;

public class FusedVersusStagedTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    private static readonly int[][] Shapes = [[33, 17], [1], [65], [5, 3], [70001]];

    private static readonly string[] ChainNames = ["adamw", "adamw-noclip", "sgd-nesterov", "sgd-momentum", "sgd"];

    private static TransformChain Chain(string name) => name switch
    {
        "adamw" => Optimizers.AdamW(LearningRateSchedule.WarmupCosine(1e-2, 1, 4, 1e-3), 0.9, 0.95, 1e-8, 0.1, clip: 1.0),
        "adamw-noclip" => Optimizers.AdamW(3e-3, weightDecay: 0.1),
        "sgd-nesterov" => Optimizers.Sgd(0.05, 0.9, nesterov: true, weightDecay: 0.01, clip: 0.5),
        "sgd-momentum" => Optimizers.Sgd(0.05, 0.9, nesterov: false, weightDecay: 0.01, clip: 0.5),
        _ => Optimizers.Sgd(0.1),
    };

    [Theory, MemberData(nameof(Backends))]
    public void FusedChainEqualsTransformByTransform(string backend)
    {
        var device = Support.Backends.Get(backend);
        foreach (var name in ChainNames)
        {
            using var fusedModel = TestModel.Create(device, Shapes, seed: 11);
            using var stagedModel = TestModel.Create(device, Shapes, seed: 11);
            using var fused = new Optimizer(fusedModel.Store, Chain(name));
            using var staged = new Optimizer(stagedModel.Store, Chain(name));
            var rng = new Random(5);
            for (int t = 0; t < 4; t++)
            {
                var g = fusedModel.Grads(rng);
                fusedModel.Store.ImportGrads(g);
                stagedModel.Store.ImportGrads(g);
                fused.Step();
                staged.StepTransformByTransform();
            }
            var a = fusedModel.Store.ExportValues();
            var b = stagedModel.Store.ExportValues();
            Close.All(a.Select(x => (double)x).ToArray(), b, $"{backend} {name} p", 1e-6, 1e-7);
            var sa = fused.ExportState();
            var sb = staged.ExportState();
            for (int k = 0; k < sa.Slots.Count; k++)
                Close.All(sa.Slots[k].Values.Select(x => (double)x).ToArray(), sb.Slots[k].Values, $"{backend} {name} {sa.Slots[k].Name}", 1e-6, 1e-9);
        }
    }

    /// <summary>The optimizer writes p, m, v over themselves: the fusion compiler must read an index before writing it.</summary>
    [Theory, MemberData(nameof(Backends))]
    public void FusedProgramMayWriteOverItsInput(string backend)
    {
        var device = Support.Backends.Get(backend);
        var f = new FusionBuilder("optim_test_in_place");
        var a = f.Input("a");
        var b = f.Input("b");
        f.Output("a", a * 2f + b);
        f.Output("b", b - a);
        var program = f.Build();
        foreach (int n in new[] { 1, 17, 70001 })
        {
            var x = TestModel.Normal(new Random(n), n, 1f);
            var y = TestModel.Normal(new Random(n + 1), n, 1f);
            using var bx = device.Allocate(n);
            using var by = device.Allocate(n);
            device.Write<float>(bx, x);
            device.Write<float>(by, y);
            device.RunFused(program, new FusedLaunch([n], [new StridedSlice(bx, 0, [n], [1]), new StridedSlice(by, 0, [n], [1])],
                                                     [bx, by], []));
            var rx = new float[n];
            var ry = new float[n];
            device.Read<float>(bx, rx);
            device.Read<float>(by, ry);
            Close.All(x.Select((v, i) => 2.0 * v + y[i]).ToArray(), rx, $"{backend} n={n} a", 1e-6, 1e-6);
            Close.All(y.Select((v, i) => (double)v - x[i]).ToArray(), ry, $"{backend} n={n} b", 1e-6, 1e-6);
        }
    }
}
