using Engine.Cli.Output;
using MathNet.Numerics.Statistics;

namespace Engine.Cli.Comparison;

/// <summary>
/// One group's figures for a metric: each run's final value (NaN for a run that diverged), their mean and spread, the
/// mean and spread of each run's minimum, the difference of the final means from the baseline's (NaN for the baseline
/// itself) and the test of it, and (with a target) each run's first step at or below it.
/// </summary>
internal sealed record GroupSummary(
    string Label, bool IsBaseline, long MinFinalStep, long MaxFinalStep,
    IReadOnlyList<double> Finals, double FinalMean, double FinalStd,
    double MinMean, double MinStd, double MsPerIterMedian,
    double Difference, WelchTest? VersusBaseline, string Verdict,
    IReadOnlyList<long?> StepsToTarget)
{
    public int Runs => Finals.Count;

    /// <summary>Runs whose final value is not finite.</summary>
    public int Diverged => Finals.Count(v => !double.IsFinite(v));
}

/// <summary>
/// Compares groups of runs on one metric: a run's result is its metric at the last step that logged it ("final"),
/// also summarized as its minimum over the run; each group is tested against the baseline group with
/// <see cref="WelchTest"/> on the final values. A run whose final value is not finite diverged: its group gets no test.
/// </summary>
internal static class RunComparison
{
    /// <summary>The significance level the verdicts use.</summary>
    public const double Alpha = 0.05;

    /// <param name="target">When given, each run's first logged step with the metric at or below it (null: never).</param>
    public static IReadOnlyList<GroupSummary> Summarize(IReadOnlyList<RunGroup> groups, string metric, string baseline,
                                                        double? target = null)
    {
        var missing = groups.SelectMany(g => g.Runs).FirstOrDefault(r => r.Final(metric) is null);
        if (missing is not null)
            throw new UsageException($"--metric {metric}: {missing.Path} never logs '{metric}' (it logs: {string.Join(", ", missing.Metrics)})");
        var reference = groups.FirstOrDefault(g => g.Label == baseline)
            ?? throw new UsageException($"--baseline '{baseline}' is not a label of the runs given ({string.Join(", ", groups.Select(g => g.Label))})");
        var referenceFinals = Finals(reference, metric).Select(f => f.Value).ToList();
        bool referenceDiverged = referenceFinals.Any(v => !double.IsFinite(v));
        return groups.Select(g =>
        {
            var finals = Finals(g, metric);
            var values = finals.Select(f => f.Value).ToList();
            int diverged = values.Count(v => !double.IsFinite(v));
            var minima = g.Runs.Select(r => r.Series(metric) is { Count: > 0 } s ? s.Min(p => p.Value) : double.NaN).ToList();
            var msPerIter = g.Runs.SelectMany(r => r.Series("ms_per_iter").Select(p => p.Value)).ToList();
            bool isBaseline = ReferenceEquals(g, reference);
            var test = isBaseline || diverged > 0 || referenceDiverged ? null : WelchTest.Compare(values, referenceFinals);
            string verdict = isBaseline ? "baseline"
                : diverged > 0 ? $"diverged ({diverged} of {values.Count} runs)"
                : referenceDiverged ? "no test (the baseline diverged)"
                : Verdict(test, values.Count, referenceFinals.Count);
            return new GroupSummary(
                g.Label, isBaseline, finals.Min(f => f.Step), finals.Max(f => f.Step),
                values, values.Mean(), Spread(values), minima.Mean(), Spread(minima),
                msPerIter.Count > 0 ? msPerIter.Median() : double.NaN,
                isBaseline ? double.NaN : values.Mean() - referenceFinals.Mean(), test, verdict,
                target is { } level ? g.Runs.Select(r => FirstStepAtOrBelow(r, metric, level)).ToList() : []);
        }).ToList();
    }

    /// <summary>"lower", "higher" or "no significant difference" against the baseline at <see cref="Alpha"/>, or why there is no test.</summary>
    private static string Verdict(WelchTest? test, int runs, int baselineRuns) => test switch
    {
        null when runs < 2 || baselineRuns < 2 => "no test (needs 2+ runs in each group)",
        null => "no test (no spread between runs)",
        { PValue: < Alpha } => test.Value.Difference < 0 ? "lower" : "higher",
        _ => "no significant difference",
    };

    /// <summary>
    /// A group's curve: the mean over its runs at every step all of them logged a finite value at (so a short run
    /// shortens its group's curve), and (with two runs or more) the band from the lowest to the highest run there.
    /// </summary>
    public static PlotSeries Curve(RunGroup group, string metric)
    {
        var series = group.Runs.Select(r => r.Series(metric).ToDictionary(p => p.Step, p => p.Value)).ToList();
        var steps = series.Skip(1).Aggregate(series[0].Keys.AsEnumerable(), (common, s) => common.Where(s.ContainsKey)).Order().ToList();
        var line = steps.Select(step => ((double)step, series.Average(s => s[step]))).ToList();
        var band = group.Runs.Count > 1
            ? steps.Select(step => ((double)step, series.Min(s => s[step]), series.Max(s => s[step]))).ToList()
            : null;
        var name = group.Runs.Count > 1 ? $"{group.Label} (n={group.Runs.Count})" : group.Label;
        return new PlotSeries(name, line, band);
    }

    private static long? FirstStepAtOrBelow(MetricsLog run, string metric, double level)
    {
        foreach (var (step, value) in run.Series(metric))
            if (value <= level) return step;
        return null;
    }

    private static List<(long Step, double Value)> Finals(RunGroup group, string metric) =>
        group.Runs.Select(r => r.Final(metric)!.Value).ToList();

    /// <summary>The sample standard deviation; NaN for a single value.</summary>
    public static double Spread(IReadOnlyList<double> values) => values.Count > 1 ? values.StandardDeviation() : double.NaN;
}
