using Engine.Models.Config;
using Engine.Models.Training;
using Engine.Optim;
using Engine.Tests.Optim;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using MathNet.Numerics.LinearAlgebra;
using Xunit;
using Xunit.Sdk;
using static Engine.Tests.Methods.ChainReferenceKit;

namespace Engine.Tests.Methods;

/// <summary>
/// The Muon optimizer training builds (Trainer.CreateOptimizer for --optim muon: Clip? > Muon > decay? > lr on the hidden
/// matrices, with the lr schedule scaled by muon_lr/lr, beside Clip? > AdamW for the rest, one global clip norm) against
/// METHODS §4.4 written out in double: M ← βM + (1 − β)G, U = (1 − β)G + βM (Nesterov) or M, X = NS5(U) with
/// (3.4445, −4.7750, 2.0315) on the wide orientation, W ← (1 − lr·wd)W − lr·sqrt(max(1, m/n))·X per matrix (each row
/// block its own matrix), and PyTorch's AdamW on the other parameters. Every layout has a tall and a wide matrix and a
/// row-blocked run; Nesterov on and off, clipping on and off, decay on and off; both backends.
/// <para>
/// Tolerance: the momentum and AdamW's m, v are element-wise fp32 arithmetic (1e-5 relative), AdamW's p as
/// <see cref="ChainReferenceKit.AdamConditioning"/> derives. Newton–Schulz is not element-wise: its fp32 GEMMs are
/// amplified by the iteration (a small singular value σ grows by up to 3.4445⁵ ≈ 490, its rounding with it), and on these
/// shapes the fp32 step stays within 1.1e-5 (relative, Frobenius; the largest over 1,200 random layouts) of the double
/// one. So each matrix's step ΔW = W_t − W_{t−1} is compared in Frobenius norm at 1e-4 relative, as MuonTests compares NS
/// alone — and every case checks that this tolerance still rejects near misses: the step of a reference whose quintic has
/// c = 2.0 instead of 2.0315 (a 1.5 % change of the polynomial), and, from step 2 where the two forms of U differ, that
/// of the reference with Nesterov flipped, both lie outside it.
/// </para>
/// </summary>
[Collection("Structured")]
public class MuonChainReferenceTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    private const double Lr = 0.003, MinLr = 0.0003, MuonLr = 0.02, B1 = 0.9, B2 = 0.95, Eps = 1e-8, Wd = 0.1, Beta = 0.95;
    private const int Warmup = 1, DecayIters = 4, Steps = 3;
    private const double StepTolerance = 1e-4;
    private static readonly (double A, double B, double C) Quintic = (3.4445, -4.7750, 2.0315);

    /// <summary>A tall matrix (rows &gt; cols), a wide one (rows &lt; cols), a run of 2 or 3 equal blocks, an embedding and a bias.</summary>
    private static readonly Gen<StoreLayout> MuonLayout =
        from tallRows in Gen.Choose(2, 12)
        from tallCols in Gen.Choose(1, tallRows - 1)
        from wideRows in Gen.Choose(1, 8)
        from wideCols in Gen.Choose(wideRows + 1, 14)
        from runRows in Gen.Choose(1, 7)
        from runCols in Gen.Choose(1, 7)
        from blocks in Gen.Choose(2, 3)
        from er in Gen.Choose(1, 7)
        from bias in Gen.Choose(1, 9)
        select new StoreLayout([new(tallRows, tallCols, 1), new(wideRows, wideCols, 1), new(runRows, runCols, blocks)], (er, 3), bias);

    [Theory, MemberData(nameof(Backends))]
    public void TrainingOptimizerMatchesTheDoubleReference(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from layout in MuonLayout
                    from nesterov in Gen.Elements(true, false)
                    from clip in Gen.Elements<double?>(null, 1.0)
                    from muonWd in Gen.Elements(0.0, 0.1)
                    from seed in Seed
                    select (layout, nesterov, clip, muonWd, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var config = new TrainConfig
            {
                Optim = "muon", Lr = (float)Lr, MinLr = (float)MinLr, WarmupIters = Warmup, LrDecayIters = DecayIters,
                Beta1 = (float)B1, Beta2 = (float)B2, Eps = (float)Eps, WeightDecay = (float)Wd, GradClip = (float)(c.clip ?? 0),
                MuonLr = (float)MuonLr, MuonMomentum = (float)Beta, MuonNesterov = c.nesterov, MuonWeightDecay = (float)c.muonWd,
            };
            using var store = c.layout.Create(device, c.seed);
            using var optimizer = Trainer.CreateOptimizer(config, store);
            Assert.Matches("^(clip_global_norm > )?muon > (add_decayed_weights > )?scale_by_learning_rate$", optimizer.Chain.ToString());
            var schedule = LearningRateSchedule.WarmupCosine(Lr, Warmup, DecayIters, MinLr);
            var matrices = store.HiddenMatrices;
            var hidden = HiddenMask(store);
            var others = hidden.Select(h => !h).ToArray();
            var decay = DecayMask(store);
            int n = (int)store.Count;
            var p = ToDouble(store.ExportValues());
            double[] momentum = new double[n], m = new double[n], v = new double[n];
            var conditioning = new AdamConditioning(n);
            var rng = new Random(c.seed);
            for (int t = 1; t <= Steps; t++)
            {
                var before = ToDouble(store.ExportValues());
                var grad = Gradient(rng, n, t == 2 ? 3.0 : 0.6);
                store.ImportGrads(grad);
                optimizer.Step();
                var after = ToDouble(store.ExportValues());
                var g = ToDouble(grad);
                double k = ClipCoefficient(g, c.clip);
                for (int i = 0; i < n; i++) g[i] *= k;
                double lr = OptimizerReference.NanoGptLr(schedule, t - 1), muonLr = lr * MuonLr / Lr;
                string where = $"{backend} {c} step {t}";

                var previousMomentum = (double[])momentum.Clone();
                foreach (var matrix in matrices)
                {
                    var (update, scale) = MuonUpdate(matrix, g, momentum, Beta, c.nesterov);
                    var x = NewtonSchulz(update, Quintic);
                    var expected = -muonLr * (c.muonWd * Block(before, matrix) + scale * x);
                    var actual = Block(after, matrix) - Block(before, matrix);
                    Near(expected, actual, StepTolerance, $"{where} {matrix.Name} ΔW");
                    // The tolerance separates near misses: a wrong quintic coefficient, the other momentum form.
                    var wrongCoefficient = -muonLr * (c.muonWd * Block(before, matrix) + scale * NewtonSchulz(update, (Quintic.A, Quintic.B, 2.0)));
                    Far(wrongCoefficient, actual, StepTolerance, $"{where} {matrix.Name} ΔW with c = 2.0");
                    var (flipped, _) = MuonUpdate(matrix, g, (double[])previousMomentum.Clone(), Beta, !c.nesterov);
                    // (From step 2, where the two forms of U point in directions at least 1 % apart: at step 1 they are parallel.)
                    if ((flipped / flipped.FrobeniusNorm() - update / update.FrobeniusNorm()).FrobeniusNorm() > 1e-2)
                    {
                        var wrongMomentum = -muonLr * (c.muonWd * Block(before, matrix) + scale * NewtonSchulz(flipped, Quintic));
                        Far(wrongMomentum, actual, StepTolerance, $"{where} {matrix.Name} ΔW with Nesterov flipped");
                    }
                    SetBlock(p, matrix, Block(before, matrix) + expected);
                }
                AdamW(p, m, v, g, t, lr, B1, B2, Eps, Wd, decay, where: others, conditioning: conditioning);
                var state = optimizer.ExportState();
                Elements(momentum, Slot(state, "muon.momentum"), 1e-5, 1e-6 * momentum.Max(Math.Abs), $"{where} momentum", hidden);
                Elements(m, Slot(state, "scale_by_adam.m"), 1e-5, 1e-6 * m.Max(Math.Abs), $"{where} AdamW m", others);
                Elements(v, Slot(state, "scale_by_adam.v"), 1e-5, 1e-6 * v.Max(Math.Abs), $"{where} AdamW v", others);
                Elements(p, store.ExportValues(), conditioning.Tolerance(p), $"{where} AdamW p", others);
            }
            return true;
        }).Check(TestSeeds.Quick(10));
    }

    /// <summary>
    /// M ← βM + (1 − β)G for <paramref name="matrix"/> (in place in the flat <paramref name="momentum"/>), then the
    /// orthogonalized input U and the step scale sqrt(max(1, m/n)).
    /// </summary>
    private static (Matrix<double> Update, double Scale) MuonUpdate(HiddenMatrix matrix, double[] g, double[] momentum, double beta, bool nesterov)
    {
        var grad = Block(g, matrix);
        var next = beta * Block(momentum, matrix) + (1 - beta) * grad;
        SetBlock(momentum, matrix, next);
        var update = nesterov ? (1 - beta) * grad + beta * next : next;
        return (update, Math.Sqrt(Math.Max(1.0, (double)matrix.Rows / matrix.Cols)));
    }

    /// <summary>zeropower_via_newtonschulz5 in double: X = U/(‖U‖ + 1e-7) on the wide orientation, 5 × X ← aX + (bA + cA²)X.</summary>
    private static Matrix<double> NewtonSchulz(Matrix<double> u, (double A, double B, double C) q)
    {
        bool tall = u.RowCount > u.ColumnCount;
        var x = tall ? u.Transpose() : u.Clone();
        x /= x.FrobeniusNorm() + 1e-7;
        for (int i = 0; i < 5; i++)
        {
            var a = x * x.Transpose();
            x = q.A * x + (q.B * a + q.C * (a * a)) * x;
        }
        return tall ? x.Transpose() : x;
    }

    private static void Near(Matrix<double> expected, Matrix<double> actual, double relative, string what)
    {
        double error = (actual - expected).FrobeniusNorm(), scale = expected.FrobeniusNorm();
        if (!(error <= relative * scale + 1e-9))
            throw new XunitException($"{what}: ‖error‖ {error:E3} > {relative:E1}·‖expected‖ ({scale:E3})");
    }

    private static void Far(Matrix<double> wrong, Matrix<double> actual, double relative, string what)
    {
        double error = (actual - wrong).FrobeniusNorm(), scale = wrong.FrobeniusNorm();
        if (error <= relative * scale + 1e-9)
            throw new XunitException($"{what}: the device step is within the tolerance of a wrong reference (‖diff‖ {error:E3}), so it cannot tell them apart");
    }
}
