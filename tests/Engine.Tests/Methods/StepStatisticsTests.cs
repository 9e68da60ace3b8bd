using Engine.Optim;
using Engine.Optim.Structured;
using Engine.Tests.Support;
using Xunit;

namespace Engine.Tests.Methods;

/// <summary>
/// <see cref="StepStatistics"/> against the host: every step's ||g|| equals the norm of the gradient given, and its
/// update cosine equals cos(θ_t − θ_{t−1}, θ_{t−1} − θ_{t−2}) computed in double from the weights read after each step —
/// for a plain chain, a two-chain optimizer (Muon beside AdamW), a chain whose update is split around a late link
/// (SPEC-GF on the update), CGFM (whose phase S gives ||g||) and the transform-by-transform step. The ring drops the
/// oldest records past its capacity, a read returns only the steps since the last one, and the previous update
/// survives an export and import of the state.
/// </summary>
[Collection("Structured")]
public class StepStatisticsTests
{
    private static readonly string[] Chains = ["adamw", "sgd", "muon", "spectral-update", "cgfm", "adamw-staged", "l2init", "sgg"];

    public static TheoryData<string, string> Cases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var backend in ((IEnumerable<object[]>)Backends.Names).Select(row => (string)row[0]))
                foreach (var chain in Chains) data.Add(backend, chain);
            return data;
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void RecordsEveryStepsGradNormAndUpdateCosine(string backend, string chain)
    {
        var device = Backends.Get(backend);
        using var store = MethodStores.Create(device, seed: 3);
        using var optimizer = Create(chain, store, new StepStatisticsOptions(4));
        var rng = new Random(17);
        var weights = new List<double[]> { ToDouble(store.ExportValues()) };
        var norms = new List<double>();
        var records = new List<StepRecord>();
        for (int t = 1; t <= 9; t++)
        {
            if (optimizer.UsesSourceGradient)
            {
                store.ImportGrads(MethodStores.Gradient(rng, store, 1.0));
                optimizer.CaptureSourceGradient();
            }
            var g = MethodStores.Gradient(rng, store, t % 3 == 0 ? 3.0 : 0.4 + 0.1 * t);
            norms.Add(Math.Sqrt(g.Sum(x => (double)x * x)));
            store.ImportGrads(g);
            if (chain == "adamw-staged") optimizer.StepTransformByTransform();
            else optimizer.Step();
            weights.Add(ToDouble(store.ExportValues()));
            // Read after step 2 and after step 9: the second read has 7 unread steps, of which the ring keeps the last 4.
            if (t == 2 || t == 9) records.AddRange(optimizer.Statistics!.ReadNew());
        }
        Assert.Equal([1L, 2, 6, 7, 8, 9], records.Select(r => r.Step));
        Assert.Empty(optimizer.Statistics!.ReadNew());
        foreach (var record in records)
        {
            int t = (int)record.Step;
            string where = $"{backend} {chain} step {t}";
            Ops.Close.Check(norms[t - 1], record.GradNorm, 1, () => $"{where} ||g||", 1e-5);
            if (t == 1)
            {
                Assert.Null(record.UpdateCosine);
                continue;
            }
            Assert.NotNull(record.UpdateCosine);
            double expected = Cosine(Difference(weights[t], weights[t - 1]), Difference(weights[t - 1], weights[t - 2]));
            Assert.True(Math.Abs(expected - record.UpdateCosine!.Value) < 2e-3,
                        $"{where}: cos(u_t, u_t-1) {record.UpdateCosine} against {expected} from the weights");
        }
    }

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void PreviousUpdateSurvivesExportAndImport(string backend)
    {
        var device = Backends.Get(backend);
        var rng = new Random(2);
        float[][] gradients;
        IReadOnlyList<StepRecord> expected;
        using (var store = MethodStores.Create(device, seed: 5))
        using (var straight = Create("adamw", store, new StepStatisticsOptions(8)))
        {
            gradients = Enumerable.Range(0, 4).Select(t => MethodStores.Gradient(rng, store, 1.0 + t)).ToArray();
            Steps(store, straight, gradients[..4]);
            expected = straight.Statistics!.ReadNew();
        }

        // A run resumed after step 2: its weights and state (with u_2) copied into a new store and optimizer.
        using var resumedStore = MethodStores.Create(device, seed: 5);
        using (var first = Create("adamw", resumedStore, new StepStatisticsOptions(8)))
        {
            Steps(resumedStore, first, gradients[..2]);
            var state = first.ExportState();
            Assert.Contains(state.Extras, e => e.Name == "statistics.previous_update");
            using var resumed = Create("adamw", resumedStore, new StepStatisticsOptions(8));
            resumed.ImportState(state);
            Steps(resumedStore, resumed, gradients[2..]);
            var after = resumed.Statistics!.ReadNew();
            Assert.Equal([3L, 4], after.Select(r => r.Step));
            Assert.Equal(expected.Skip(2), after);
        }

        // State from an optimizer that did not record the update: the first step after the import has no cosine.
        using var plainStore = MethodStores.Create(device, seed: 5);
        using var plain = new Optimizer(plainStore, Optimizers.AdamW(1e-2, weightDecay: 0.1, clip: 1.0));
        Steps(plainStore, plain, gradients[..1]);
        using var fresh = Create("adamw", plainStore, new StepStatisticsOptions(8));
        fresh.ImportState(plain.ExportState());
        Steps(plainStore, fresh, gradients[1..2]);
        Assert.Null(Assert.Single(fresh.Statistics!.ReadNew()).UpdateCosine);
    }

    private static void Steps(ParameterStore store, Optimizer optimizer, float[][] gradients)
    {
        foreach (var g in gradients)
        {
            store.ImportGrads(g);
            optimizer.Step();
        }
    }

    [Fact]
    public void CapacityMustBePositive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepStatisticsOptions(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepStatisticsOptions(3) with { Capacity = -1 });
    }

    private static Optimizer Create(string chain, ParameterStore store, StepStatisticsOptions statistics)
    {
        var lr = LearningRateSchedule.WarmupCosine(1e-2, 1, 10, 1e-3);
        return chain switch
        {
            "adamw" or "adamw-staged" => new(store, Optimizers.AdamW(lr, weightDecay: 0.1, clip: 1.0), statistics: statistics),
            "sgd" => new(store, Optimizers.Sgd(0.05, 0.9), statistics: statistics),
            "muon" => new(store, Optimizers.Muon(0.02, weightDecay: 0.1, clip: 1.0), Optimizers.AdamW(lr, weightDecay: 0.1, clip: 1.0),
                          statistics: statistics),
            "spectral-update" => new(store, Optimizers.OnUpdate(new SpectralTransform(new SpectralOptions { Neighbors = 3, Penalty = 0 }),
                                                                Optimizers.AdamW(lr, weightDecay: 0.1, clip: 1.0)), statistics: statistics),
            "cgfm" => new(store, Optimizers.Cgfm(lr, new CgfmOptions { Rank = 2 }, weightDecay: 0.1), statistics: statistics),
            // Launched over four segments (hidden matrices apart), and SGG's update reading g_s.
            "l2init" => new(store, Optimizers.Over(new AddL2ToInit(0.1, hiddenOnly: true), Optimizers.AdamW(lr, weightDecay: 0.1, clip: 1.0)),
                            statistics: statistics),
            "sgg" => new(store, Optimizers.Sgg(lr, new SggOptions { Alpha = 0.3, SourceWeight = 0.5 }, weightDecay: 0.1, clip: 1.0), statistics: statistics),
            _ => throw new ArgumentException($"unknown chain '{chain}'"),
        };
    }

    private static double[] ToDouble(float[] values) => Array.ConvertAll(values, x => (double)x);

    private static double[] Difference(double[] a, double[] b) => a.Select((x, i) => x - b[i]).ToArray();

    private static double Cosine(double[] a, double[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / (Math.Sqrt(na) * Math.Sqrt(nb) + 1e-12);
    }
}
