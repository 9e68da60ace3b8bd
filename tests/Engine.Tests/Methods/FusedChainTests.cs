using Engine.Optim;
using Engine.Optim.Structured;
using Engine.Tests.Ops;
using Engine.Tests.Optim;
using Xunit;

namespace Engine.Tests.Methods;

// One collection with the structured tests: fused reductions on the shared OpenCL device are not run concurrently.
[Collection("Structured")]
public class FusedChainTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    /// <summary>
    /// Phases R, S, U fused equal the chain run link by link, where phase S reads the clipped update buffer: this checks
    /// that folding the clip coefficient into S (SGG's Gram, SPEC-GF's penalty and EMA, Muon's momentum) is exact.
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void FusedChainEqualsTransformByTransform(string backend)
    {
        var device = Support.Backends.Get(backend);
        foreach (var method in MethodStores.Methods)
        {
            using var fusedStore = MethodStores.Create(device, seed: 3);
            using var stagedStore = MethodStores.Create(device, seed: 3);
            using var fused = MethodStores.Optimizer(method, fusedStore);
            using var staged = MethodStores.Optimizer(method, stagedStore);
            var rng = new Random(8);
            for (int t = 0; t < 5; t++)
            {
                if (fused.UsesSourceGradient)
                {
                    var source = MethodStores.Gradient(rng, fusedStore, 2.0);
                    fusedStore.ImportGrads(source);
                    stagedStore.ImportGrads(source);
                    fused.CaptureSourceGradient();
                    staged.CaptureSourceGradient();
                }
                // Norms above and below the clip's 1.0, so the clip coefficient is sometimes < 1.
                var g = MethodStores.Gradient(rng, fusedStore, t % 2 == 0 ? 3.0 : 0.7);
                fusedStore.ImportGrads(g);
                stagedStore.ImportGrads(g);
                fused.Step();
                staged.StepTransformByTransform();
            }
            Close.All(ToDouble(stagedStore.ExportValues()), fusedStore.ExportValues(), $"{backend} {method} p", 2e-5, 2e-6);
            var a = fused.ExportState();
            var b = staged.ExportState();
            for (int k = 0; k < a.Slots.Count; k++)
                Close.All(ToDouble(b.Slots[k].Values), a.Slots[k].Values, $"{backend} {method} {a.Slots[k].Name}", 2e-5, 1e-7);
            var ma = fused.ReadMethodMetrics();
            var mb = staged.ReadMethodMetrics();
            Assert.Equal(mb.Keys, ma.Keys);
            foreach (var (key, value) in mb)
                Close.Check(value, ma[key], 1, () => $"{backend} {method} {key}", 1e-4);
        }
    }

    /// <summary>With the default λ, s_t stays in [1 + min λ, 1 + max λ] (pass-through parameters count as λ = 1).</summary>
    [Fact]
    public void CgfmStepMultiplierIsBounded()
    {
        var device = Support.Backends.Get("cpu");
        using var store = MethodStores.Create(device, seed: 1);
        using var optimizer = new Optimizer(store, Optimizers.Cgfm(1e-3, new CgfmOptions { LambdaLocal = 0.25, LambdaGlobal = 2 }));
        var rng = new Random(4);
        for (int t = 0; t < 3; t++)
        {
            store.ImportGrads(MethodStores.Gradient(rng, store, 1.0));
            optimizer.Step();
            var metrics = optimizer.ReadMethodMetrics();
            double s = metrics["cgfm.step_multiplier"], fraction = metrics["cgfm.global_fraction"];
            Assert.InRange(s, 1.25 - 1e-6, 3 + 1e-6);
            Assert.InRange(fraction, 0, 1 + 1e-6);
        }
    }

    [Fact]
    public void MisplacedStructuredLinksAreRefusedWithTheReason()
    {
        var device = Support.Backends.Get("cpu");
        using var store = MethodStores.Create(device, seed: 1);
        var muonAlone = Assert.Throws<ArgumentException>(() => new Optimizer(store, Optimizers.Muon(0.02)));
        Assert.Contains("hiddenMatrices", muonAlone.Message);
        var noMoment = Assert.Throws<ArgumentException>(() =>
            new Optimizer(store, new TransformChain(new SggTransform(), new ScaleByLearningRate(0.1))));
        Assert.Contains("first moment", noMoment.Message);
        var late = Assert.Throws<ArgumentException>(() => new TransformChain(new ScaleByAdam(), new CgfmTransform()));
        Assert.Contains("structured", late.Message);
        var onOthers = Assert.Throws<ArgumentException>(() => new Optimizer(store, Optimizers.Muon(0.02), Optimizers.Cgfm(1e-3)));
        Assert.Contains("other parameters", onOthers.Message);
    }

    private static double[] ToDouble(float[] values) => values.Select(v => (double)v).ToArray();
}
