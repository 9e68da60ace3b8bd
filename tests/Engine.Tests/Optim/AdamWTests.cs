using Engine.Optim;
using Engine.Tests.Ops;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Optim;

public class AdamWTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    /// <summary>Clipping regimes: none, active (||g|| = 2 > maxNorm = 1), inactive (||g|| = 0.5).</summary>
    internal enum ClipMode { None, Active, Inactive }

    /// <summary>A few parameters, matrices (decayed) and vectors (not), with odd and tiny sizes.</summary>
    internal static Gen<int[][]> Shapes =>
        from count in Gen.Choose(1, 4)
        from shapes in Gen.ArrayOf(
            from rank in Gen.Choose(1, 2)
            from dims in Gen.ArrayOf(Gen.OneOf(Gen.Choose(1, 9), Gen.Elements(15, 16, 17, 33, 65)), rank)
            select dims, count)
        select shapes;

    [Theory, MemberData(nameof(Backends))]
    public void FusedStepMatchesPyTorchAdamW(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from shapes in Shapes
                    from clip in Gen.Elements(ClipMode.None, ClipMode.Active, ClipMode.Inactive)
                    from warmup in Gen.Elements(false, true)
                    from seed in Gen.Choose(0, int.MaxValue)
                    select (shapes, clip, warmup, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            LearningRateSchedule lr = c.warmup ? LearningRateSchedule.WarmupCosine(2e-2, 2, 5, 2e-3) : 1e-2;
            CheckAgainstReference(device, c.shapes, c.clip, lr, c.seed, steps: 6, $"{backend} {c}");
        }).Check(TestSeeds.Quick(30));
    }

    [Theory, MemberData(nameof(Backends))]
    public void FusedStepMatchesPyTorchAdamWOnSegmentsLargerThanAChunk(string backend)
    {
        var device = Support.Backends.Get(backend);
        int[][] shapes = [[300, 229], [70001], [1], [3, 1]];
        CheckAgainstReference(device, shapes, ClipMode.Active, 1e-2, seed: 7, steps: 3, backend);
        CheckAgainstReference(device, shapes, ClipMode.None, 1e-2, seed: 8, steps: 2, backend);
    }

    private static void CheckAgainstReference(Engine.Kernels.Devices.ComputeDevice device, int[][] shapes, ClipMode clip,
                                              LearningRateSchedule lr, int seed, int steps, string what)
    {
        const double b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1;
        double? maxNorm = clip == ClipMode.None ? null : 1.0;
        using var model = TestModel.Create(device, shapes, seed);
        using var optimizer = new Optimizer(model.Store, Optimizers.AdamW(lr, b1, b2, eps, wd, maxNorm));
        var reference = new OptimizerReference(model.Initial, model.DecayMask);
        var rng = new Random(seed ^ 0x5eed);
        for (int t = 1; t <= steps; t++)
        {
            var g = model.Grads(rng, clip switch { ClipMode.Active => 2.0, ClipMode.Inactive => 0.5, _ => null });
            model.Store.ImportGrads(g);
            optimizer.Step();
            reference.AdamW(g, lr, b1, b2, eps, wd, maxNorm);
            if (clip == ClipMode.Active) Assert.True(reference.LastClipCoefficient < 0.6, $"{what}: clipping should be active");
            if (clip == ClipMode.Inactive) Assert.Equal(1.0, reference.LastClipCoefficient);
            if (maxNorm is not null)
                Close.Check(reference.LastGradNorm, optimizer.ReadGradNorm(), reference.LastGradNorm, $"{what} step {t} ||g||", 1e-6, 0);
        }
        Assert.Equal(steps, optimizer.StepCount);
        Close.All(reference.P, model.Store.ExportValues(), $"{what} p", 2e-6, 1e-6);
        var state = optimizer.ExportState();
        var m = state.Slots.Single(s => s.Name.EndsWith("scale_by_adam.m")).Values;
        var v = state.Slots.Single(s => s.Name.EndsWith("scale_by_adam.v")).Values;
        Close.All(reference.M, m, $"{what} m", 1e-5, 1e-7);
        Close.All(reference.V, v, $"{what} v", 1e-5, 1e-9);
    }
}
