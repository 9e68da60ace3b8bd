using Engine.Models.Config;
using Engine.Models.Training;
using Engine.Optim;
using Engine.Tests.Ops;
using Xunit;

namespace Engine.Tests.Methods;

/// <summary>METHODS §3(c)'s L2-to-init control: the pull toward the first step's weights, on every parameter or the hidden matrices.</summary>
[Collection("Structured")]
public class L2ToInitTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    /// <summary>
    /// The L2-to-init control (with SGD's L2 decay after it): p₁ = p₀ − (g₀ + wd p₀) (no pull at the first step),
    /// p_{t+1} = p_t − (g_t + 2λ (p_t − p₀) + wd p_t), fused and transform by transform; an optimizer resumed from the first step's state takes the same second step (the state carries p₀).
    /// Hidden-only, the other parameters take plain steps (the launch is split at the hidden range).
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void L2ToInitPullsTowardTheFirstStepsWeights(string backend)
    {
        var device = Support.Backends.Get(backend);
        foreach (bool hiddenOnly in new[] { false, true })
            foreach (bool fused in new[] { true, false })
                CheckL2ToInit(device, hiddenOnly, fused);
    }

    private static void CheckL2ToInit(Engine.Kernels.Devices.ComputeDevice device, bool hiddenOnly, bool fused)
    {
        string backend = $"{device.Id} hiddenOnly={hiddenOnly}";
        const double lambda0 = 0.3;
        const double wd0 = 0.1;   // L2 decay on the decayed segment: the split launches keep each segment's decay flag
        TransformChain Chain() => new(new AddL2ToInit(lambda0, hiddenOnly), new AddDecayedWeights(wd0), new ScaleByLearningRate(LearningRateSchedule.Constant(1)));
        using var store = SegmentStore(device);
        using var optimizer = new Optimizer(store, Chain());
        var p0 = store.ExportValues();
        var rng = new Random(7);
        var g0 = MethodStores.Gradient(rng, store, 1.0);
        var g1 = MethodStores.Gradient(rng, store, 1.0);
        var g2 = MethodStores.Gradient(rng, store, 1.0);
        store.ImportGrads(g0);
        if (fused) optimizer.Step(); else optimizer.StepTransformByTransform();
        var p1 = store.ExportValues();
        var state = optimizer.ExportState();
        store.ImportGrads(g1);
        if (fused) optimizer.Step(); else optimizer.StepTransformByTransform();
        var p2 = store.ExportValues();
        store.ImportGrads(g2);
        if (fused) optimizer.Step(); else optimizer.StepTransformByTransform();
        var p3 = store.ExportValues();   // still pulled toward p₀, not toward the previous step's weights
        for (int i = 0; i < p0.Length; i++)
        {
            double lambda = hiddenOnly && (i < store.HiddenStart || i >= store.HiddenEnd) ? 0 : lambda0;
            double wd = i < store.DecayedCount ? wd0 : 0;
            double e1 = (double)p0[i] - (g0[i] + wd * p0[i]);
            Close.Check(e1, p1[i], e1, () => $"{backend} fused={fused} p1[{i}]", 1e-6, 1e-6);
            double e2 = (double)p1[i] - (g1[i] + 2 * lambda * ((double)p1[i] - p0[i]) + wd * p1[i]);
            Close.Check(e2, p2[i], e2, () => $"{backend} fused={fused} p2[{i}]", 1e-6, 1e-6);
            double e3 = (double)p2[i] - (g2[i] + 2 * lambda * ((double)p2[i] - p0[i]) + wd * p2[i]);
            Close.Check(e3, p3[i], e3, () => $"{backend} fused={fused} p3[{i}]", 1e-6, 1e-6);
        }
        using var resumedStore = SegmentStore(device);
        resumedStore.ImportValues(p1);
        using var resumed = new Optimizer(resumedStore, Chain());
        resumed.ImportState(state);
        resumedStore.ImportGrads(g1);
        if (fused) resumed.Step(); else resumed.StepTransformByTransform();
        Assert.Equal(p2, resumedStore.ExportValues());
    }

    /// <summary>A parameter of each of the store's four segments: decayed and not, hidden matrix and not.</summary>
    private static ParameterStore SegmentStore(Engine.Kernels.Devices.ComputeDevice device)
    {
        var store = new ParameterStore(device);
        store.Register("emb", [7, 5]);
        store.Register("w", [6, 4], kind: ParameterKind.HiddenMatrix);
        store.Register("w_nodecay", [5, 3], kind: ParameterKind.HiddenMatrix, decay: false);
        store.Register("bias", [4], decay: false);
        store.Allocate();
        store.ImportValues(Engine.Tests.Optim.TestModel.Normal(new Random(6), (int)store.Count, 0.5f));
        Assert.True(store.HiddenStart > 0 && store.HiddenStart < store.DecayedCount && store.DecayedCount < store.HiddenEnd && store.HiddenEnd < store.Count);
        return store;
    }

    [Fact]
    public void TrainingAppliesL2ToInitToTheHiddenMatricesOnly()
    {
        using var store = MethodStores.Create(Support.Backends.Get("cpu"), seed: 1);
        using var optimizer = Trainer.CreateOptimizer(new TrainConfig { L2ToInit = 1e-3f }, store);
        Assert.Equal("clip_global_norm > add_l2_to_init > scale_by_adam > add_decayed_weights > scale_by_learning_rate", optimizer.Chain.ToString());
        Assert.Null(optimizer.OthersChain);
        Assert.True(((AddL2ToInit)optimizer.Chain.Transforms[1]).HiddenOnly);
        Assert.Equal(3, optimizer.ExportState().Slots.Count);   // m, v and p₀: one chain, not a second group's copies
        Assert.Contains("--l2-to-init is the control for --optim adamw or sgd", new TrainConfig { Optim = "spectral", L2ToInit = 1e-3f }.Validate().Single());
    }
}
