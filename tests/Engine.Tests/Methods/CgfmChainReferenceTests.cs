using Engine.Optim;
using Engine.Optim.Structured;
using Engine.Tests.Ops;
using MathNet.Numerics.LinearAlgebra;
using Xunit;

namespace Engine.Tests.Methods;

/// <summary>
/// The CGFM chain in its faithful SGD form (clip, CGFM, lr: θ ← θ − η s_t G_adj) against METHODS §1b computed on the host
/// in double from an SVD: G_adj = λ_l G + (λ_g − λ_l) G_glob per hidden matrix (both orientations, a row-blocked weight,
/// a single row), G for the pass-through parameters, s_t = 1 + ||g_adj|| / ||g||. The second step projects onto the basis
/// of the first gradient (T_p = 100), as a stale basis must. Fused and transform by transform, on every backend.
/// </summary>
[Collection("Structured")]
public class CgfmChainReferenceTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    [Theory, MemberData(nameof(Backends))]
    public void SgdFormMatchesTheHostReference(string backend)
    {
        var device = Support.Backends.Get(backend);
        var options = new CgfmOptions { Rank = 2, LambdaLocal = 0.25, LambdaGlobal = 1.5, ProjectionPeriod = 100 };
        const double lr = 0.05, maxNorm = 1.0;
        foreach (bool fused in new[] { true, false })
        {
            using var store = MethodStores.Create(device, seed: 11);
            var chain = new TransformChain(new ClipGlobalNorm(maxNorm), new CgfmTransform(options), new ScaleByLearningRate(lr));
            using var optimizer = new Optimizer(store, chain);
            var expected = store.ExportValues().Select(v => (double)v).ToArray();
            var bases = new Dictionary<string, Matrix<double>>();
            var rng = new Random(21);
            foreach (var norm in new[] { 3.0, 0.6 })
            {
                var g = MethodStores.Gradient(rng, store, norm);
                store.ImportGrads(g);
                if (fused) optimizer.Step(); else optimizer.StepTransformByTransform();
                var (update, multiplier) = Reference(store, g, options, maxNorm, bases);
                for (int i = 0; i < expected.Length; i++) expected[i] -= lr * multiplier * update[i];
                Close.Check(multiplier, optimizer.ReadMethodMetrics()["cgfm.step_multiplier"], 1,
                            () => $"{backend} fused={fused} s_t at norm {norm}", 1e-5);
            }
            Close.All(expected, store.ExportValues(), $"{backend} fused={fused} θ", 1e-5, 1e-6);
        }
    }

    /// <summary>G_adj of the clipped gradient (flat, store layout) and s_t, with each matrix's basis taken on its first step.</summary>
    private static (double[] Update, double Multiplier) Reference(ParameterStore store, float[] g, CgfmOptions options, double maxNorm,
                                                                  Dictionary<string, Matrix<double>> bases)
    {
        double norm = Math.Sqrt(g.Sum(x => (double)x * x));
        double clip = Math.Min(1, maxNorm / (norm + 1e-6));
        var update = g.Select(x => clip * x).ToArray();
        foreach (var m in store.HiddenMatrices)
        {
            var grad = Matrix<double>.Build.Dense(m.Rows, m.Cols, (i, j) => update[m.Offset + (long)i * m.Cols + j]);
            int rank = options.RankFor(m.Rows, m.Cols);
            bool right = m.Rows >= m.Cols;
            if (!bases.TryGetValue(m.Name, out var basis))
            {
                var svd = grad.Svd(computeVectors: true);
                basis = right ? svd.VT.SubMatrix(0, rank, 0, m.Cols).Transpose() : svd.U.SubMatrix(0, m.Rows, 0, rank);
                bases[m.Name] = basis;
            }
            var global = right ? grad * basis * basis.Transpose() : basis * (basis.Transpose() * grad);
            var adjusted = options.LambdaLocal * grad + (options.LambdaGlobal - options.LambdaLocal) * global;
            for (int i = 0; i < m.Rows; i++)
                for (int j = 0; j < m.Cols; j++) update[m.Offset + (long)i * m.Cols + j] = adjusted[i, j];
        }
        double adjustedNorm = Math.Sqrt(update.Sum(x => x * x));
        return (update, 1 + adjustedNorm / (clip * norm + 1e-12));
    }
}
