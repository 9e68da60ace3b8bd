using Engine.Optim;
using Xunit;

namespace Engine.Tests.Optim;

public class ParameterStoreTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    [Theory, MemberData(nameof(Backends))]
    public void DecayedParametersFormTheFirstSegmentInRegistrationOrder(string backend)
    {
        using var store = new ParameterStore(Support.Backends.Get(backend));
        var bias = store.Register("bias", [5]);
        var w1 = store.Register("w1", [3, 4]);
        var gain = store.Register("gain", [2]);
        var w2 = store.Register("w2", [2, 3, 2]);
        var forced = store.Register("forced", [7], decay: true);
        var exempt = store.Register("exempt", [2, 2], decay: false);
        store.Allocate();

        Assert.Equal([w1, w2, forced, bias, gain, exempt], store.Parameters.OrderBy(p => p.Offset));
        Assert.Equal([0L, 12, 24, 31, 36, 38], new[] { w1, w2, forced, bias, gain, exempt }.Select(p => p.Offset));
        Assert.Equal(31, store.DecayedCount);
        Assert.Equal(42, store.Count);
        Assert.Equal([2, 3, 2], w2.Value.Shape.ToArray());
        Assert.Equal([2, 3, 2], w2.Grad.Shape.ToArray());
        Assert.Same(w1, store["w1"]);
    }

    [Theory, MemberData(nameof(Backends))]
    public void ViewsShareTheFlatBuffers(string backend)
    {
        using var store = new ParameterStore(Support.Backends.Get(backend));
        var b = store.Register("b", [3]);
        var w = store.Register("w", [2, 2]);
        store.Allocate();
        b.Write([1f, 2f, 3f]);
        w.Write([4f, 5f, 6f, 7f]);
        Assert.Equal([4f, 5f, 6f, 7f, 1f, 2f, 3f], store.ExportValues());
        Assert.Equal([4f, 5f, 6f, 7f], w.Value.ToArray());

        store.ImportGrads([1f, 1f, 1f, 1f, 9f, 8f, 7f]);
        Assert.Equal([9f, 8f, 7f], b.ReadGrad());
        w.WriteGrad([0.5f, 0.25f, 0f, -1f]);
        Assert.Equal([0.5f, 0.25f, 0f, -1f, 9f, 8f, 7f], store.ExportGrads());
        store.ZeroGrads();
        Assert.All(store.ExportGrads(), g => Assert.Equal(0f, g));

        store.ImportValues([0f, 1f, 2f, 3f, 4f, 5f, 6f]);
        Assert.Equal([4f, 5f, 6f], b.Read());
    }

    [Fact]
    public void MisuseThrowsActionableErrors()
    {
        using var store = new ParameterStore(Support.Backends.Get("cpu"));
        var p = store.Register("w", [2, 2]);
        Assert.Contains("Allocate", Assert.Throws<InvalidOperationException>(() => p.Value).Message);
        Assert.Contains("'w'", Assert.Throws<ArgumentException>(() => store.Register("w", [3])).Message);
        store.Allocate();
        Assert.Contains("already allocated", Assert.Throws<InvalidOperationException>(() => store.Register("x", [1])).Message);
        Assert.Contains("4 elements", Assert.Throws<ArgumentException>(() => p.Write([1f, 2f])).Message);
        Assert.Contains("holds 4", Assert.Throws<ArgumentException>(() => store.ImportValues([1f])).Message);
    }

    [Fact]
    public void ReadingTheGradNormNeedsAReduction()
    {
        var device = Support.Backends.Get("cpu");
        using var model = TestModel.Create(device, [[3, 3]], seed: 2);
        using var plain = new Optimizer(model.Store, Optimizers.Sgd(0.1));
        plain.Step();
        Assert.Contains("trackGradNorm", Assert.Throws<InvalidOperationException>(() => plain.ReadGradNorm()).Message);

        using var tracked = new Optimizer(model.Store, Optimizers.Sgd(0.1), trackGradNorm: true);
        Assert.Contains("no step", Assert.Throws<InvalidOperationException>(() => tracked.ReadGradNorm()).Message);
        var g = new float[] { 3, 0, 0, 4, 0, 0, 0, 0, 0 };
        model.Store.ImportGrads(g);
        tracked.Step();
        Assert.Equal(5.0, tracked.ReadGradNorm(), 1e-6);
    }

    [Fact]
    public void AnEmptyStoreStepsWithoutLaunching()
    {
        using var store = new ParameterStore(Support.Backends.Get("cpu"));
        store.Allocate();
        using var optimizer = new Optimizer(store, Optimizers.AdamW(1e-3, clip: 1.0));
        optimizer.Step();
        optimizer.StepTransformByTransform();
        Assert.Equal(2, optimizer.StepCount);
        Assert.Empty(store.ExportValues());
        Assert.All(optimizer.ExportState().Slots, s => Assert.Empty(s.Values));
    }
}
