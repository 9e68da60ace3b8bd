using Engine.Models.Training;
using Engine.Optim;
using Engine.Optim.Structured;
using Engine.Tensors;
using Engine.Tests.Ops;
using Engine.Tests.Structured;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Methods;

/// <summary>SGG's variants: joint source training (γ_s) and the support-set reference direction.</summary>
[Collection("Structured")]
public class SggVariantTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    /// <summary>
    /// SGG's joint source training (METHODS §2b step 1, γ_s > 0): u = g' + γ_s g_s', with g' = g − (⟨g, g_s⟩/||g_s||²) g_s and
    /// g_s' = g_s − (⟨g, g_s⟩/||g||²) g in a conflict, g and g_s unchanged otherwise (blend and clip off); u still does not
    /// oppose g_s.
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void SggSourceWeightAddsTheProjectedSourceGradient(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from n in Gen.Choose(1, 200)
                    from gamma in Gen.Elements(0.25, 1.0, 3.0)
                    from conflict in Gen.Elements(false, true)
                    from seed in Gen.Choose(0, int.MaxValue)
                    select (n, gamma, conflict, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var rng = new Random(c.seed);
            var g = Array.ConvertAll(HostData.Normal(rng, c.n), x => (double)(float)x);
            var s = Array.ConvertAll(HostData.Normal(rng, c.n), x => (double)(float)x);
            double gs = HostData.Dot(g, s);
            if ((gs < 0) != c.conflict) { s = Array.ConvertAll(s, x => -x); gs = -gs; }
            if (c.conflict && !(gs < 0)) return true;   // ⟨g, g_s⟩ = 0 exactly: no conflict to test
            double gg = HostData.Dot(g, g), ss = HostData.Dot(s, s);
            var expected = g.Select((x, i) => c.conflict
                ? x - gs / ss * s[i] + c.gamma * (s[i] - gs / gg * x)
                : x + c.gamma * s[i]).ToArray();
            using var scope = new TensorScope();
            using var sgg = new SggGuidance(device, new SggOptions { Alpha = 0, ClipFactor = null, SourceWeight = c.gamma });
            Tensor Up(double[] v) => Tensor.FromArray(device, Array.ConvertAll(v, x => (float)x), [c.n]);
            var output = Tensor.Zeros(device, c.n);
            sgg.Step(Up(g), Up(s), Tensor.Zeros(device, c.n), output);
            var u = HostData.Vector(output);
            // On the inputs' scale: where g is parallel to g_s (n = 1) u is 0 up to rounding, and its sign is noise.
            double inputScale = HostData.Norm(g) + c.gamma * HostData.Norm(s);
            for (int i = 0; i < c.n; i++)
                Close.Check(expected[i], u[i], inputScale, () => $"{backend} {c} u[{i}]", 1e-5, 1e-6);
            // METHODS' bound, on the same scale.
            Assert.True(HostData.Dot(u, s) >= -1e-5 * inputScale * HostData.Norm(s), $"{backend} {c}: <u, g_s> < 0");
            return true;
        }).Check(Support.TestSeeds.Quick(25));
    }

    /// <summary>
    /// SGG's support-set direction: with d captured (not the momentum), the chain over plain SGD (lr 1, so the step is −u)
    /// takes the step the standalone guidance gives for that d — the blend toward it, norm kept, with a conflict
    /// projection and the adaptive clip — step after step, fused and transform by transform; before any capture d = 0 and
    /// the blend is skipped.
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void SggWithACapturedDirectionBlendsTowardIt(string backend)
    {
        var device = Support.Backends.Get(backend);
        var options = new SggOptions { Alpha = 0.4, ClipFactor = 1.5, ReferenceDirection = SggReferenceDirection.Captured };
        foreach (bool fused in new[] { true, false })
        {
            using var store = MethodStores.Create(device, seed: 12);
            using var optimizer = new Optimizer(store, Optimizers.Over(new SggTransform(options), Optimizers.Sgd(LearningRateSchedule.Constant(1))));
            Assert.True(optimizer.UsesReferenceDirection);
            using var guidance = new SggGuidance(device, options);
            int n = (int)store.Count;
            var rng = new Random(13);
            float[] d = new float[n];
            for (int step = 0; step < 4; step++)
            {
                var source = MethodStores.Gradient(rng, store, 1.0);
                store.ImportGrads(source);
                optimizer.CaptureSourceGradient();
                if (step > 0)
                {
                    d = MethodStores.Gradient(rng, store, 0.7);
                    store.ImportGrads(d);
                    optimizer.CaptureReferenceDirection();
                }
                var g = MethodStores.Gradient(rng, store, step == 2 ? 6.0 : 1.0);
                store.ImportGrads(g);
                var before = store.ExportValues();
                if (fused) optimizer.Step(); else optimizer.StepTransformByTransform();
                var after = store.ExportValues();
                using var scope = new TensorScope();
                var u = Tensor.Zeros(device, n);
                guidance.Step(Tensor.FromArray(device, g, [n]), Tensor.FromArray(device, source, [n]), Tensor.FromArray(device, d, [n]), u);
                var expected = u.ToArray();
                double scale = expected.Max(x => Math.Abs((double)x));
                for (int i = 0; i < n; i++)
                    Close.Check(expected[i], (double)before[i] - after[i], scale, () => $"{backend} fused={fused} step {step} [{i}]", 1e-5, 1e-6);
            }
        }
    }

    [Fact]
    public void SupportSetSpreadsWholeBatchesOverTheTrainSplit()
    {
        var tokens = Enumerable.Range(0, 100).ToArray();
        var support = new SupportSet(tokens, blocks: 5, blockSize: 4, batchSize: 3);
        Assert.Equal(2, support.Batches);   // 5 blocks rounded up to 6
        var inputs = new int[12];
        var targets = new int[12];
        var starts = new List<int>();
        for (int b = 0; b < support.Batches; b++)
        {
            support.Fill(b, inputs, targets);
            for (int k = 0; k < 3; k++)
            {
                starts.Add(inputs[k * 4]);
                Assert.Equal(Enumerable.Range(inputs[k * 4], 4), inputs.Skip(k * 4).Take(4));
                Assert.Equal(Enumerable.Range(inputs[k * 4] + 1, 4), targets.Skip(k * 4).Take(4));
            }
        }
        Assert.Equal([0, 19, 38, 57, 76, 95], starts);   // evenly spread, the last block's target the split's last token
    }
}
