using System.Diagnostics;

namespace Engine.Benchmarks;

/// <summary>Wall times of repeated runs after warm-up; each run ends with a device synchronize.</summary>
public static class Timing
{
    public static double MedianSeconds(Action run, Action sync, int warmup = 2, int reps = 7, double budgetSeconds = 4)
    {
        for (int i = 0; i < warmup; i++) { run(); sync(); }
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        for (int i = 0; i < reps && (i < 3 || total.Elapsed.TotalSeconds < budgetSeconds); i++) times.Add(Once(run, sync));
        return Median(times);
    }

    /// <summary>
    /// <paramref name="candidate"/> against <paramref name="baseline"/> run alternately (B, C, B, C, …, B), for a machine
    /// whose speed drifts: each candidate run is compared with the mean of the baseline runs just before and after it, and
    /// the result is the median of those ratios, beside the median time of each.
    /// </summary>
    public static (double Baseline, double Candidate, double Ratio) Paired(Action baseline, Action candidate, Action sync, int warmup = 2,
                                                                          int pairs = 15, double budgetSeconds = 6)
    {
        for (int i = 0; i < warmup; i++) { baseline(); sync(); candidate(); sync(); }
        var b = new List<double> { Once(baseline, sync) };
        var c = new List<double>();
        var ratios = new List<double>();
        var total = Stopwatch.StartNew();
        for (int i = 0; i < pairs && (i < 5 || total.Elapsed.TotalSeconds < budgetSeconds); i++)
        {
            c.Add(Once(candidate, sync));
            b.Add(Once(baseline, sync));
            ratios.Add(c[^1] / ((b[^2] + b[^1]) / 2));
        }
        return (Median(b), Median(c), Median(ratios));
    }

    private static double Once(Action run, Action sync)
    {
        var sw = Stopwatch.StartNew();
        run();
        sync();
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>The middle value (the mean of the two middle ones for an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        int n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
