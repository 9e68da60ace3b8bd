using Engine.Models.Training;
using Engine.Optim;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Training;

/// <summary>
/// <see cref="StabilityMetrics"/> against METHODS §0's definitions computed directly from the whole list of records: GV =
/// std/mean of ||g|| (population std) over the last W steps and over all, DA = the mean cosine over the same; records
/// added in any batches give the same figures, and a copy through <see cref="StabilityMetrics.ToJson"/> continues as the
/// original does.
/// </summary>
public class StabilityMetricsTests
{
    [Fact]
    public void FiguresFollowTheDefinitionsWhateverTheBatchingAndAcrossACheckpoint()
    {
        var cases = from steps in Gen.Choose(1, 60)
                    from window in Gen.Choose(1, 25)
                    from cut in Gen.Choose(0, 60)
                    from seed in Gen.Choose(0, int.MaxValue)
                    select (steps, window, cut: Math.Min(cut, steps), seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var rng = new Random(c.seed);
            // Norms around 1 with an occasional spike; the first step has no cosine, as an optimizer's first step.
            var records = Enumerable.Range(1, c.steps).Select(t => new StepRecord(t, 0.5 + rng.NextDouble() * (t % 7 == 0 ? 5 : 1),
                                                                                     t == 1 ? null : 2 * rng.NextDouble() - 1)).ToArray();
            var whole = new StabilityMetrics(c.window);
            foreach (var record in records) whole.Add([record]);

            var first = new StabilityMetrics(c.window);
            first.Add(records[..c.cut]);
            var continued = new StabilityMetrics(c.window);
            continued.Restore(System.Text.Json.Nodes.JsonNode.Parse(first.ToJson().ToJsonString())!.AsObject());
            continued.Add(records[c.cut..]);

            var norms = records.Select(r => r.GradNorm).ToArray();
            var cosines = records.Where(r => r.UpdateCosine is not null).Select(r => r.UpdateCosine!.Value).ToArray();
            var report = whole.Report();
            string where = $"{c}";
            Ops.Close.Check(Gv(norms[^Math.Min(c.window, norms.Length)..]), report.GvWindow, 1, () => $"{where} GV window", 1e-12);
            Ops.Close.Check(Gv(norms), report.GvRun, 1, () => $"{where} GV run", 1e-12);
            var windowCosines = records[^Math.Min(c.window, records.Length)..].Where(r => r.UpdateCosine is not null)
                                                                              .Select(r => r.UpdateCosine!.Value).ToArray();
            Assert.Equal(windowCosines.Length == 0 ? null : windowCosines.Average(), report.DaWindow);
            if (cosines.Length == 0) Assert.Null(report.DaRun);
            else Ops.Close.Check(cosines.Average(), report.DaRun!.Value, 1, () => $"{where} DA run", 1e-12);
            Assert.Equal(report, continued.Report());
            return true;
        }).Check(TestSeeds.Quick(80));
    }

    [Fact]
    public void ValLossEmaStartsAtTheFirstLossThenDecaysByPointNine()
    {
        var metrics = new StabilityMetrics(10);
        Assert.Null(metrics.ValLossEma);
        metrics.AddValLoss(2.0);
        Assert.Equal(2.0, metrics.ValLossEma);
        metrics.AddValLoss(1.0);
        Assert.Equal(0.9 * 2.0 + 0.1 * 1.0, metrics.ValLossEma!.Value, 15);
        metrics.AddValLoss(double.NaN);   // a diverged evaluation stops the run; it does not poison the EMA
        Assert.Equal(1.9, metrics.ValLossEma!.Value, 15);
    }

    [Fact]
    public void NoStepsGiveNoFigures()
    {
        var report = new StabilityMetrics(5).Report();
        Assert.True(double.IsNaN(report.GvWindow) && double.IsNaN(report.GvRun));
        Assert.Null(report.DaWindow);
        Assert.Null(report.DaRun);
    }

    private static double Gv(double[] norms)
    {
        double mean = norms.Average();
        return Math.Sqrt(norms.Sum(x => (x - mean) * (x - mean)) / norms.Length) / mean;
    }
}
