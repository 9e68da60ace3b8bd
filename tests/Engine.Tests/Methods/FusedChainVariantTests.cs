using Engine.Kernels.Devices;
using Engine.Optim;
using Engine.Optim.Structured;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using static Engine.Tests.Methods.ChainReferenceKit;

namespace Engine.Tests.Methods;

/// <summary>
/// Phases R, S, U fused equal the chain run transform by transform (phase S on the clipped update buffer), for every
/// variant of every structured method — those of <see cref="MethodStores.Methods"/> and the ones it leaves out: CGFM with
/// s_t = 1 and with the randomized basis; SPEC-GF on the combinatorial Laplacian (exact and Chebyshev) and with the
/// resolvent response (exact and Chebyshev); Muon without Nesterov; SGG with α = 0 and without the adaptive clip — over
/// random layouts (odd sizes, single rows and columns, row-blocked runs) with the clip active in some steps.
/// </summary>
[Collection("Structured")]
public class FusedChainVariantTests
{
    private static readonly string[] Variants =
    [
        "cgfm", "cgfm-literal", "cgfm-unit", "cgfm-randomized",
        "sgg", "sgg-bf16", "sgg-alpha0", "sgg-no-adaptive-clip",
        "spectral-cheb", "spectral-exact", "spectral-comb-exact", "spectral-comb-cheb", "spectral-resolvent-exact", "spectral-resolvent-cheb",
        "muon", "muon-plain",
    ];

    public static TheoryData<string, string> Cases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var backend in ((IEnumerable<object[]>)Support.Backends.Names).Select(row => (string)row[0]))
                foreach (var variant in Variants) data.Add(backend, variant);
            return data;
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void FusedChainEqualsTransformByTransform(string backend, string variant)
    {
        var device = Support.Backends.Get(backend);
        Prop.ForAll((from layout in Layout from seed in Seed select (layout, seed)).ToArbitrary(), c =>
        {
            using var fusedStore = c.layout.Create(device, c.seed);
            using var stagedStore = c.layout.Create(device, c.seed);
            using var fused = Optimizer(variant, fusedStore);
            using var staged = Optimizer(variant, stagedStore);
            var rng = new Random(c.seed);
            int n = (int)fusedStore.Count;
            for (int t = 0; t < 5; t++)
            {
                if (fused.UsesSourceGradient && t % 2 == 0)
                {
                    var source = Gradient(rng, n, 2.0);
                    fusedStore.ImportGrads(source);
                    stagedStore.ImportGrads(source);
                    fused.CaptureSourceGradient();
                    staged.CaptureSourceGradient();
                }
                // Norms above and below the clip's 1.0, so the clip coefficient is sometimes < 1.
                var g = Gradient(rng, n, t % 2 == 0 ? 3.0 : 0.7);
                fusedStore.ImportGrads(g);
                stagedStore.ImportGrads(g);
                fused.Step();
                staged.StepTransformByTransform();
            }
            string where = $"{backend} {variant} {c}";
            Ops.Close.All(ToDouble(stagedStore.ExportValues()), fusedStore.ExportValues(), $"{where} p", 2e-5, 2e-6);
            var a = fused.ExportState();
            var b = staged.ExportState();
            Assert.Equal(b.Slots.Select(s => s.Name), a.Slots.Select(s => s.Name));
            for (int k = 0; k < a.Slots.Count; k++)
            {
                var expected = ToDouble(b.Slots[k].Values);
                double largest = expected.Length == 0 ? 0 : expected.Max(Math.Abs);
                Elements(expected, a.Slots[k].Values, 2e-5, 1e-6 * largest + 1e-9, $"{where} {a.Slots[k].Name}");
            }
            var ma = fused.ReadMethodMetrics();
            var mb = staged.ReadMethodMetrics();
            Assert.Equal(mb.Keys, ma.Keys);
            foreach (var (key, value) in mb)
                Ops.Close.Check(value, ma[key], 1, () => $"{where} {key}", 1e-4);
            return true;
        }).Check(TestSeeds.Quick(6));
    }

    /// <summary>The variant's optimizer, with a global clip at 1.0 and decay 0.1.</summary>
    private static Optimizer Optimizer(string variant, ParameterStore store)
    {
        var lr = LearningRateSchedule.WarmupCosine(1e-2, 1, 10, 1e-3);
        TransformChain Cgfm(CgfmOptions o) => Optimizers.Cgfm(lr, o, weightDecay: 0.1, clip: 1.0);
        TransformChain Sgg(SggOptions o) => Optimizers.Sgg(lr, o, weightDecay: 0.1, clip: 1.0);
        TransformChain Spectral(LaplacianKind kind, SpectralResponse response, SpectralFilterMode mode, GraphSource source) =>
            Optimizers.Spectral(lr, new SpectralOptions
            {
                Laplacian = kind, Response = response, Mode = mode, Source = source, Neighbors = 3, RebuildPeriod = 2, GraphWarmupSteps = 1,
                Penalty = 0.05, Rho = 0.8, Tau = 0.7,
            }, weightDecay: 0.1, clip: 1.0);
        Optimizer Muon(bool nesterov) =>
            new(store, Optimizers.Muon(0.02, new MuonOptions { Nesterov = nesterov }, weightDecay: 0.1, clip: 1.0),
                Optimizers.AdamW(lr, weightDecay: 0.1, clip: 1.0));
        const LaplacianKind sym = LaplacianKind.Symmetric, comb = LaplacianKind.Combinatorial;
        const SpectralResponse heat = SpectralResponse.HeatKernel, resolvent = SpectralResponse.Resolvent;
        const SpectralFilterMode exact = SpectralFilterMode.Exact, cheb = SpectralFilterMode.Chebyshev;
        return variant switch
        {
            "cgfm" => new(store, Cgfm(new CgfmOptions { Rank = 2, ProjectionPeriod = 2 })),
            "cgfm-literal" => new(store, Cgfm(new CgfmOptions { StepRule = CgfmStepRule.Literal, LambdaLocal = 0.25 })),
            "cgfm-unit" => new(store, Cgfm(new CgfmOptions { StepRule = CgfmStepRule.Unit, ProjectionPeriod = 2 })),
            "cgfm-randomized" => new(store, Cgfm(new CgfmOptions { Basis = CgfmBasisMethod.Randomized, Rank = 2, ProjectionPeriod = 2 })),
            "sgg" => new(store, Sgg(new SggOptions { Alpha = 0.3, ClipFactor = 1.1 })),
            "sgg-bf16" => new(store, Sgg(new SggOptions { Alpha = 0.3, ClipFactor = 1.1, SourcePrecision = DType.BFloat16 })),
            "sgg-alpha0" => new(store, Sgg(new SggOptions { Alpha = 0, ClipFactor = 1.1 })),
            "sgg-no-adaptive-clip" => new(store, Sgg(new SggOptions { Alpha = 0.3, ClipFactor = null })),
            "spectral-cheb" => new(store, Spectral(sym, heat, cheb, GraphSource.GradientCosine)),
            "spectral-exact" => new(store, Spectral(sym, heat, exact, GraphSource.Weights)),
            "spectral-comb-exact" => new(store, Spectral(comb, heat, exact, GraphSource.Weights)),
            "spectral-comb-cheb" => new(store, Spectral(comb, heat, cheb, GraphSource.GradientCosine)),
            "spectral-resolvent-exact" => new(store, Spectral(sym, resolvent, exact, GraphSource.Weights)),
            "spectral-resolvent-cheb" => new(store, Spectral(sym, resolvent, cheb, GraphSource.Weights)),
            "muon" => Muon(nesterov: true),
            "muon-plain" => Muon(nesterov: false),
            _ => throw new ArgumentException($"unknown variant '{variant}'"),
        };
    }
}
