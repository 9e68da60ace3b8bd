using Engine.Cli.Output;
using MathNet.Numerics.Statistics;

namespace Engine.Cli.Comparison;

/// <summary>
/// One group's figures for a metric: each run's final and best value, their mean and spread, the difference of the
/// final means from the baseline's (NaN for the baseline itself) and the test of it.
/// </summary>
internal sealed record GroupSummary(
    string Label, int Runs, long FirstFinalStep, long LastFinalStep,
    IReadOnlyList<double> Finals, double FinalMean, double FinalStd,
    double BestMean, double BestStd, double MsPerIterMedian,
    double Difference, WelchTest? VersusBaseline, string Verdict);

/// <summary>
/// Compares groups of runs on one metric: a run's result is its metric at the last step that logged it ("final"),
/// and its minimum over the run ("best"); each group is tested against the baseline group with <see cref="WelchTest"/>
/// on the final values.
/// </summary>
internal static class RunComparison
{
    /// <summary>The significance level the verdicts use.</summary>
    public const double Alpha = 0.05;

    public static IReadOnlyList<GroupSummary> Summarize(IReadOnlyList<RunGroup> groups, string metric, string baseline)
    {
        var missing = groups.SelectMany(g => g.Runs).FirstOrDefault(r => r.Series(metric).Count == 0);
        if (missing is not null)
        {
            var known = string.Join(", ", missing.Metrics);
            throw new UsageException($"--metric {metric}: {missing.Path} logs no finite '{metric}' (it has: {known})");
        }
        var reference = groups.FirstOrDefault(g => g.Label == baseline)
            ?? throw new UsageException($"--baseline '{baseline}' is not a label of the runs given ({string.Join(", ", groups.Select(g => g.Label))})");
        var referenceFinals = Finals(reference, metric).Select(f => f.Value).ToList();
        return groups.Select(g =>
        {
            var finals = Finals(g, metric);
            var values = finals.Select(f => f.Value).ToList();
            var bests = g.Runs.Select(r => r.Series(metric).Min(p => p.Value)).ToList();
            var msPerIter = g.Runs.SelectMany(r => r.Series("ms_per_iter").Select(p => p.Value)).ToList();
            bool isBaseline = ReferenceEquals(g, reference);
            var test = isBaseline ? null : WelchTest.Compare(values, referenceFinals);
            return new GroupSummary(
                g.Label, g.Runs.Count, finals.Min(f => f.Step), finals.Max(f => f.Step),
                values, values.Mean(), Spread(values), bests.Mean(), Spread(bests),
                msPerIter.Count > 0 ? msPerIter.Median() : double.NaN,
                isBaseline ? double.NaN : values.Mean() - referenceFinals.Mean(), test, isBaseline ? "baseline" : Verdict(test, values.Count, referenceFinals.Count));
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
    /// A group's curve: the mean over its runs at every step all of them logged the metric at, and (with two runs or
    /// more) the band from the lowest to the highest run there.
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

    private static List<(long Step, double Value)> Finals(RunGroup group, string metric) =>
        group.Runs.Select(r => r.Series(metric)[^1]).ToList();

    /// <summary>The sample standard deviation; NaN for a single run.</summary>
    private static double Spread(IReadOnlyList<double> values) => values.Count > 1 ? values.StandardDeviation() : double.NaN;
}
