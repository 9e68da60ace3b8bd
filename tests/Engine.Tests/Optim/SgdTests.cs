using Engine.Optim;
using Engine.Tests.Ops;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Optim;

public class SgdTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    [Theory, MemberData(nameof(Backends))]
    public void FusedStepMatchesTorchSgd(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from shapes in AdamWTests.Shapes
                    from momentum in Gen.Elements(0.0, 0.9)
                    from nesterov in Gen.Elements(false, true)
                    from wd in Gen.Elements(0.0, 0.05)
                    from clip in Gen.Elements(AdamWTests.ClipMode.None, AdamWTests.ClipMode.Active, AdamWTests.ClipMode.Inactive)
                    from seed in Gen.Choose(0, int.MaxValue)
                    select (shapes, momentum, nesterov: nesterov && momentum > 0, wd, clip, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
            Check(device, c.shapes, c.momentum, c.nesterov, c.wd, c.clip, c.seed, steps: 5, $"{backend} {c}"))
            .Check(TestSeeds.Quick(30));
    }

    [Theory, MemberData(nameof(Backends))]
    public void FusedStepMatchesTorchSgdOnSegmentsLargerThanAChunk(string backend)
    {
        var device = Support.Backends.Get(backend);
        int[][] shapes = [[257, 263], [65537], [1]];
        Check(device, shapes, 0.9, nesterov: true, 0.05, AdamWTests.ClipMode.Active, seed: 3, steps: 3, backend);
    }

    private static void Check(Engine.Kernels.Devices.ComputeDevice device, int[][] shapes, double momentum, bool nesterov,
                              double wd, AdamWTests.ClipMode clip, int seed, int steps, string what)
    {
        const double lr = 0.05;
        double? maxNorm = clip == AdamWTests.ClipMode.None ? null : 1.0;
        using var model = TestModel.Create(device, shapes, seed);
        var chain = Optimizers.Sgd(lr, momentum, nesterov, wd, maxNorm);
        using var optimizer = new Optimizer(model.Store, chain);
        var reference = new OptimizerReference(model.Initial, model.DecayMask);
        var rng = new Random(seed ^ 0x5eed);
        for (int t = 1; t <= steps; t++)
        {
            var g = model.Grads(rng, clip switch { AdamWTests.ClipMode.Active => 2.0, AdamWTests.ClipMode.Inactive => 0.5, _ => null });
            model.Store.ImportGrads(g);
            optimizer.Step();
            reference.Sgd(g, lr, momentum, nesterov, wd, maxNorm);
        }
        Close.All(reference.P, model.Store.ExportValues(), $"{what} p", 2e-6, 1e-6);
        var state = optimizer.ExportState();
        Assert.Equal(momentum > 0 ? 1 : 0, state.Slots.Count);
        if (momentum > 0) Close.All(reference.Buffer, state.Slots[0].Values, $"{what} momentum buffer", 1e-5, 1e-6);
    }
}
