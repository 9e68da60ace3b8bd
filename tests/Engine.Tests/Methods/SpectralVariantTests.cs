using Engine.Optim;
using Engine.Optim.Structured;
using Engine.Tensors;
using Engine.Tests.Ops;
using Xunit;

namespace Engine.Tests.Methods;

/// <summary>SPEC-GF's variants: W_ref at the first step (fine-tuning) against 0, and the filter on the AdamW update.</summary>
[Collection("Structured")]
public class SpectralVariantTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    private static readonly LearningRateSchedule Lr = LearningRateSchedule.Constant(0.01);

    /// <summary>
    /// W_ref = the weights at the first step: the optimizer's effective gradient (SGD with lr 1, so θ_before − θ_after) equals
    /// the standalone filter's with that reference, step after step, for batched runs and single matrices; at the first
    /// step ΔW = 0, so the regularizer adds nothing there. A checkpoint carries W_ref: an optimizer resumed from the first
    /// step's state takes the same second step.
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void SpectralReferenceIsTheWeightsOfTheFirstStep(string backend)
    {
        var device = Support.Backends.Get(backend);
        var options = new SpectralOptions { Reference = SpectralReference.Start, Penalty = 0.3, Tau = 0.7, Neighbors = 3, Mode = SpectralFilterMode.Exact };
        using var store = MethodStores.Create(device, seed: 3);
        TransformChain Chain() => new(new SpectralTransform(options), new ScaleByLearningRate(LearningRateSchedule.Constant(1)));
        using var optimizer = new Optimizer(store, Chain());
        var start = store.ExportValues();
        using var scope = new TensorScope();
        var filters = store.HiddenMatrices.ToDictionary(m => m.Name, m =>
            new SpectralGradientFilter(device, m.Rows, m.Cols, options with { Reference = SpectralReference.Zero }, Matrix(device, start, m)));
        var rng = new Random(4);
        OptimizerState? afterFirst = null;
        float[] weightsAfterFirst = [];
        for (int step = 0; step < 3; step++)
        {
            var before = store.ExportValues();
            var g = MethodStores.Gradient(rng, store, 1.5);
            store.ImportGrads(g);
            optimizer.Step();
            var after = store.ExportValues();
            foreach (var m in store.HiddenMatrices)
            {
                var grad = Matrix(device, g, m);
                filters[m.Name].Step(Matrix(device, before, m), grad);
                var expected = grad.ToArray();
                for (int i = 0; i < expected.Length; i++)
                    Close.Check(expected[i], before[m.Offset + i] - after[m.Offset + i], expected[i], () => $"{backend} step {step} {m.Name}[{i}]", 1e-4, 1e-5);
            }
            // The high-frequency fraction is the update's ΔW = W − W_ref, as the standalone filter with that reference measures it.
            double high = 0, total = 0;
            foreach (var m in store.HiddenMatrices)
            {
                var (h, t) = filters[m.Name].HighFrequencyEnergy(Matrix(device, after, m));
                (high, total) = (high + h, total + t);
            }
            Close.Check(high / total, optimizer.ReadMethodMetrics()["spectral.high_freq_fraction"], 1, () => $"{backend} step {step} hf fraction", 1e-5, 1e-7);
            if (step == 0)
            {
                afterFirst = optimizer.ExportState();
                weightsAfterFirst = after;
                Assert.Contains(afterFirst.Extras, s => s.Name.Contains("reference.", StringComparison.Ordinal));
            }
            if (step == 1)
            {
                using var resumedStore = MethodStores.Create(device, seed: 3);
                resumedStore.ImportValues(weightsAfterFirst);
                using var resumed = new Optimizer(resumedStore, Chain());
                resumed.ImportState(afterFirst!);
                resumedStore.ImportGrads(g);
                resumed.Step();
                Assert.Equal(after, resumedStore.ExportValues());
            }
        }
        foreach (var f in filters.Values) f.Dispose();
    }

    /// <summary>With W_ref = 0 (from scratch) the same first step does feel the regularizer, so the test above can tell them apart.</summary>
    [Fact]
    public void SpectralReferenceZeroPenalizesTheWeightsThemselves()
    {
        var device = Support.Backends.Get("cpu");
        float[] FirstStep(SpectralReference reference)
        {
            using var store = MethodStores.Create(device, seed: 3);
            var options = new SpectralOptions { Reference = reference, Penalty = 0.3, Rho = 0, Neighbors = 3 };
            using var optimizer = new Optimizer(store, new TransformChain(new SpectralTransform(options), new ScaleByLearningRate(Lr)));
            store.ImportGrads(MethodStores.Gradient(new Random(4), store, 1.5));
            optimizer.Step();
            return store.ExportValues();
        }
        float[] Plain()
        {
            using var store = MethodStores.Create(device, seed: 3);
            using var optimizer = new Optimizer(store, new TransformChain(new ScaleByLearningRate(Lr)));
            store.ImportGrads(MethodStores.Gradient(new Random(4), store, 1.5));
            optimizer.Step();
            return store.ExportValues();
        }
        Assert.Equal(Plain(), FirstStep(SpectralReference.Start));
        Assert.NotEqual(Plain(), FirstStep(SpectralReference.Zero));
    }

    /// <summary>
    /// SPEC-GF on the update (METHODS §3b's variant): with lr 1 and no decay, the step of [clip, adam, spectral, lr] is AdamW's
    /// step with every hidden matrix's rows filtered by F = (1 − ρ) I + ρ h(L) of its weight graph (the standalone filter),
    /// the other parameters' untouched — over two steps, fused (two passes and phase S between them through the update
    /// buffer) and transform by transform.
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void SpectralOnTheUpdateFiltersAdamsDirection(string backend)
    {
        var device = Support.Backends.Get(backend);
        var options = new SpectralOptions { Penalty = 0, Rho = 0.8, Tau = 0.9, Neighbors = 3 };
        var one = LearningRateSchedule.Constant(1);
        foreach (bool fused in new[] { true, false })
        {
            using var filtered = MethodStores.Create(device, seed: 9);
            using var plain = MethodStores.Create(device, seed: 9);
            using var onUpdate = new Optimizer(filtered, Optimizers.OnUpdate(new SpectralTransform(options), Optimizers.AdamW(one, weightDecay: 0, clip: 0.5)));
            using var adamw = new Optimizer(plain, Optimizers.AdamW(one, weightDecay: 0, clip: 0.5));
            Assert.Equal(2, onUpdate.Chain.LateLinks.Count + 1);
            using var scope = new TensorScope();
            var start = filtered.ExportValues();
            var filters = filtered.HiddenMatrices.ToDictionary(m => m.Name, m => new SpectralGradientFilter(device, m.Rows, m.Cols, options));
            foreach (var m in filtered.HiddenMatrices) filters[m.Name].Rebuild(Matrix(device, start, m));   // the graph of step 0's weights
            var rng = new Random(10);
            for (int step = 0; step < 2; step++)
            {
                var g = MethodStores.Gradient(rng, filtered, 2.0);
                var before = filtered.ExportValues();
                plain.ImportValues(before);
                filtered.ImportGrads(g);
                plain.ImportGrads(g);
                if (fused) { onUpdate.Step(); adamw.Step(); } else { onUpdate.StepTransformByTransform(); adamw.StepTransformByTransform(); }
                var direction = before.Zip(plain.ExportValues(), (b, a) => (double)a - b).ToArray();
                var expected = (double[])direction.Clone();
                foreach (var m in filtered.HiddenMatrices)
                {
                    var rows = filters[m.Name].Filter(Matrix(device, direction.Select(x => (float)x).ToArray(), m)).ToArray();
                    for (int i = 0; i < rows.Length; i++) expected[m.Offset + i] = rows[i];
                }
                var after = filtered.ExportValues();
                double scale = direction.Max(Math.Abs);
                for (int i = 0; i < expected.Length; i++)
                    Close.Check(expected[i], after[i] - (double)before[i], scale, () => $"{backend} fused={fused} step {step} [{i}]", 1e-5, 1e-6);
            }
            foreach (var f in filters.Values) f.Dispose();
        }
    }

    private static Tensor Matrix(Engine.Kernels.Devices.ComputeDevice device, float[] flat, HiddenMatrix m) =>
        Tensor.FromArray(device, flat.AsSpan((int)m.Offset, (int)m.Count).ToArray(), [m.Rows, m.Cols]);
}
