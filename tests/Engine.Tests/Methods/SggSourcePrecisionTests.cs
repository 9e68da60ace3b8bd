using Engine.Kernels.Devices;
using Engine.Optim;
using Engine.Optim.Structured;
using Engine.Tensors;
using Xunit;

namespace Engine.Tests.Methods;

/// <summary>
/// SGG with its source gradient kept in bfloat16 (SggOptions.SourcePrecision) is the fp32 step for the source gradient
/// rounded to bfloat16 — exactly, since both read the same fp32 values — so every identity the fp32 step satisfies
/// holds for the stored g_s; and the stored g_s survives a checkpoint.
/// </summary>
[Collection("Structured")]
public class SggSourcePrecisionTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    private static Optimizer Sgg(ParameterStore store, DType precision) =>
        new(store, Optimizers.Sgg(LearningRateSchedule.WarmupCosine(1e-2, 1, 10, 1e-3),
                                  new SggOptions { Alpha = 0.3, ClipFactor = 1.1, SourcePrecision = precision }, weightDecay: 0.1, clip: 1.0));

    [Theory, MemberData(nameof(Backends))]
    public void ABFloat16SourceGradientStepsAsTheFp32StepOfItsRounding(string backend)
    {
        var device = Support.Backends.Get(backend);
        using var halfStore = MethodStores.Create(device, seed: 4);
        using var fullStore = MethodStores.Create(device, seed: 4);
        using var half = Sgg(halfStore, DType.BFloat16);
        using var full = Sgg(fullStore, DType.Float32);
        var rng = new Random(11);
        int conflicts = 0;
        for (int t = 0; t < 6; t++)
        {
            if (t % 2 == 0)
            {
                // A source gradient opposed to the next gradients half of the time, so both kinds of step run.
                var source = MethodStores.Gradient(rng, halfStore, 2.0);
                halfStore.ImportGrads(source);
                half.CaptureSourceGradient();
                fullStore.ImportGrads(Array.ConvertAll(source, DTypes.RoundToBFloat16));
                full.CaptureSourceGradient();
            }
            var g = MethodStores.Gradient(rng, halfStore, t % 3 == 0 ? 3.0 : 0.7);
            halfStore.ImportGrads(g);
            fullStore.ImportGrads(g);
            half.Step();
            full.Step();
            var metrics = half.ReadMethodMetrics();
            if (metrics["sgg.cos_g_gs"] < 0) conflicts++;
            Assert.Equal(full.ReadMethodMetrics()["sgg.cos_g_gs"], metrics["sgg.cos_g_gs"]);
        }
        Assert.Equal(fullStore.ExportValues(), halfStore.ExportValues());
        var a = half.ExportState();
        var b = full.ExportState();
        for (int k = 0; k < a.Slots.Count; k++) Assert.Equal(b.Slots[k].Values, a.Slots[k].Values);
        Assert.InRange(conflicts, 1, 5);
    }

    /// <summary>The tensor-level step (<see cref="SggGuidance"/>) takes a bfloat16 source tensor the same way.</summary>
    [Theory, MemberData(nameof(Backends))]
    public void GuidanceWithABFloat16SourceTensorStepsAsWithItsFp32Rounding(string backend)
    {
        var device = Support.Backends.Get(backend);
        var rng = new Random(5);
        float[] Draw(int n, float mean) => Enumerable.Range(0, n).Select(_ => mean + (float)(rng.NextDouble() * 2 - 1)).ToArray();
        using var scope = new TensorScope();
        using var half = new SggGuidance(device, new SggOptions { ClipFactor = 1.5 });
        using var full = new SggGuidance(device, new SggOptions { ClipFactor = 1.5 });
        var d = Tensor.Zeros(device, 7, 37);
        for (int step = 0; step < 3; step++)
        {
            var g = Tensor.FromArray(device, Draw(7 * 37, 0.3f), 7, 37);
            var source = Tensor.FromArray(device, Draw(7 * 37, -0.3f), 7, 37);   // opposed: a conflict to project away
            var narrow = source.Cast(DType.BFloat16);
            var rounded = narrow.Cast(DType.Float32);
            var uHalf = Tensor.Zeros(device, 7, 37);
            var uFull = Tensor.Zeros(device, 7, 37);
            half.Step(g, narrow, d, uHalf);
            full.Step(g, rounded, d, uFull);
            Assert.Equal(uFull.ToArray(), uHalf.ToArray());
            Assert.True(half.ReadMetrics().CosineGradSource < 0, "the draws were meant to conflict");
            d = uHalf;
        }
    }

    [Theory, MemberData(nameof(Backends))]
    public void TheStoredSourceGradientSurvivesACheckpoint(string backend)
    {
        var device = Support.Backends.Get(backend);
        using var firstStore = MethodStores.Create(device, seed: 6);
        using var first = Sgg(firstStore, DType.BFloat16);
        var rng = new Random(3);
        firstStore.ImportGrads(MethodStores.Gradient(rng, firstStore, 2.0));
        first.CaptureSourceGradient();
        firstStore.ImportGrads(MethodStores.Gradient(rng, firstStore, 1.5));
        first.Step();

        using var resumedStore = MethodStores.Create(device, seed: 6);
        resumedStore.ImportValues(firstStore.ExportValues());
        using var resumed = Sgg(resumedStore, DType.BFloat16);
        var state = first.ExportState();
        var saved = state.Extras.Single(e => e.Name.EndsWith(".source_gradient", StringComparison.Ordinal)).Values;
        Assert.All(saved, v => Assert.Equal(v, DTypes.RoundToBFloat16(v)));   // exported as the bfloat16 values it holds
        resumed.ImportState(state);
        for (int t = 0; t < 3; t++)
        {
            var g = MethodStores.Gradient(rng, firstStore, 1.0 + t);
            firstStore.ImportGrads(g);
            resumedStore.ImportGrads(g);
            first.Step();
            resumed.Step();
        }
        Assert.Equal(firstStore.ExportValues(), resumedStore.ExportValues());
    }
}
