using Engine.Optim;
using Xunit;

namespace Engine.Tests.Optim;

public class CheckpointTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    private static readonly int[][] Shapes = [[40, 33], [7], [1], [70001]];

    private static TransformChain AdamW() =>
        Optimizers.AdamW(LearningRateSchedule.WarmupCosine(1e-2, 2, 8, 1e-3), 0.9, 0.95, 1e-8, 0.1, clip: 1.0);

    [Theory, MemberData(nameof(Backends))]
    public void ExportedStateContinuesBitExactly(string backend)
    {
        var device = Support.Backends.Get(backend);
        var grads = new List<float[]>();
        var rng = new Random(21);

        using var original = TestModel.Create(device, Shapes, seed: 4);
        using var first = new Optimizer(original.Store, AdamW());
        for (int t = 0; t < 6; t++) grads.Add(original.Grads(rng, norm: 3.0));
        for (int t = 0; t < 3; t++) { original.Store.ImportGrads(grads[t]); first.Step(); }
        var savedValues = original.Store.ExportValues();
        var savedState = first.ExportState();
        for (int t = 3; t < 6; t++) { original.Store.ImportGrads(grads[t]); first.Step(); }

        using var resumed = TestModel.Create(device, Shapes, seed: 99);
        using var second = new Optimizer(resumed.Store, AdamW());
        resumed.Store.ImportValues(savedValues);
        second.ImportState(savedState);
        Assert.Equal(3, second.StepCount);
        for (int t = 3; t < 6; t++) { resumed.Store.ImportGrads(grads[t]); second.Step(); }

        Assert.Equal(original.Store.ExportValues(), resumed.Store.ExportValues());
        var a = first.ExportState();
        var b = second.ExportState();
        Assert.Equal(a.Step, b.Step);
        for (int k = 0; k < a.Slots.Count; k++) Assert.Equal(a.Slots[k].Values, b.Slots[k].Values);
    }

    [Theory, MemberData(nameof(Backends))]
    public void ImportRejectsStateOfAnotherChainOrLayout(string backend)
    {
        var device = Support.Backends.Get(backend);
        using var model = TestModel.Create(device, [[3, 4], [5]], seed: 1);
        using var adam = new Optimizer(model.Store, AdamW());
        using var sgd = new Optimizer(model.Store, Optimizers.Sgd(0.1, momentum: 0.9));
        var e = Assert.Throws<ArgumentException>(() => adam.ImportState(sgd.ExportState()));
        Assert.Contains("momentum.buffer", e.Message);
        var state = adam.ExportState();
        var truncated = state with { Slots = state.Slots.Select(s => s with { Values = s.Values[..^1] }).ToArray() };
        e = Assert.Throws<ArgumentException>(() => adam.ImportState(truncated));
        Assert.Contains("16 values", e.Message);
    }
}
