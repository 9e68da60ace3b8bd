using Engine.Kernels.Devices;
using Engine.Optim;
using Engine.Optim.Structured;
using Engine.Tests.Optim;

namespace Engine.Tests.Methods;

/// <summary>
/// Parameter stores with hidden matrices (odd shapes, a row-blocked one, a single row) and other parameters, and the
/// optimizers of each structured method over them, for comparing fused and transform-by-transform steps.
/// </summary>
internal static class MethodStores
{
    public static readonly string[] Methods = ["cgfm", "cgfm-literal", "sgg", "sgg-bf16", "spectral-cheb", "spectral-exact", "muon"];

    /// <summary>
    /// A store of hidden [9, 5], [3·4, 7] (3 row blocks: a run of wide matrices), [1, 6], [17, 3], [3·8, 5] (a run of tall
    /// ones) matrices, and an embedding, bias and gain.
    /// </summary>
    public static ParameterStore Create(ComputeDevice device, int seed)
    {
        var store = new ParameterStore(device);
        store.Register("emb", [11, 5]);
        store.Register("attn", [12, 7], kind: ParameterKind.HiddenMatrix, matrixBlocks: 3);
        store.Register("bias", [7]);
        store.Register("up", [9, 5], kind: ParameterKind.HiddenMatrix);
        store.Register("row", [1, 6], kind: ParameterKind.HiddenMatrix);
        store.Register("gain", [5], decay: false);
        store.Register("down", [17, 3], kind: ParameterKind.HiddenMatrix);
        store.Register("tallrun", [24, 5], kind: ParameterKind.HiddenMatrix, matrixBlocks: 3);   // a run of three tall [8, 5] blocks
        store.Allocate();
        store.ImportValues(TestModel.Normal(new Random(seed), (int)store.Count, 0.5f));
        return store;
    }

    public static float[] Gradient(Random rng, ParameterStore store, double norm)
    {
        var g = TestModel.Normal(rng, (int)store.Count, 1f);
        double current = Math.Sqrt(g.Sum(x => (double)x * x));
        for (int i = 0; i < g.Length; i++) g[i] = (float)(g[i] * norm / current);
        return g;
    }

    /// <summary>The method's optimizer, with a clip that is active at gradient norms above 1.</summary>
    public static Optimizer Optimizer(string method, ParameterStore store)
    {
        var lr = LearningRateSchedule.WarmupCosine(1e-2, 1, 10, 1e-3);
        return method switch
        {
            "cgfm" => new Optimizer(store, Optimizers.Cgfm(lr, new CgfmOptions { Rank = 2, ProjectionPeriod = 2 }, weightDecay: 0.1, clip: 1.0)),
            "cgfm-literal" => new Optimizer(store, Optimizers.Cgfm(lr, new CgfmOptions { StepRule = CgfmStepRule.Literal, LambdaLocal = 0.25 },
                                                                   weightDecay: 0.1, clip: 1.0)),
            "sgg" => new Optimizer(store, Optimizers.Sgg(lr, new SggOptions { Alpha = 0.3, ClipFactor = 1.1 }, weightDecay: 0.1, clip: 1.0)),
            "sgg-bf16" => new Optimizer(store, Optimizers.Sgg(lr, new SggOptions { Alpha = 0.3, ClipFactor = 1.1, SourcePrecision = DType.BFloat16 },
                                                              weightDecay: 0.1, clip: 1.0)),
            "spectral-cheb" => new Optimizer(store, Optimizers.Spectral(lr, Spectral(SpectralFilterMode.Chebyshev, GraphSource.GradientCosine),
                                                                        weightDecay: 0.1, clip: 1.0)),
            "spectral-exact" => new Optimizer(store, Optimizers.Spectral(lr, Spectral(SpectralFilterMode.Exact, GraphSource.Weights),
                                                                         weightDecay: 0.1, clip: 1.0)),
            "muon" => new Optimizer(store, Optimizers.Muon(0.02, weightDecay: 0.1, clip: 1.0), Optimizers.AdamW(lr, weightDecay: 0.1, clip: 1.0)),
            _ => throw new ArgumentException($"unknown method '{method}'"),
        };
    }

    private static SpectralOptions Spectral(SpectralFilterMode mode, GraphSource source) => new()
    {
        Mode = mode, Source = source, Neighbors = 3, RebuildPeriod = 2, GraphWarmupSteps = 1, Penalty = 0.05, Rho = 0.8, Tau = 0.7,
    };
}
