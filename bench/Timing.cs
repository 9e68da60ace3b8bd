using System.Diagnostics;

namespace Engine.Bench;

/// <summary>Median wall time of repeated runs after warm-up; each run ends with a device synchronize.</summary>
public static class Timing
{
    public static double MedianSeconds(Action run, Action sync, int warmup = 2, int reps = 7, double budgetSeconds = 4)
    {
        for (int i = 0; i < warmup; i++) { run(); sync(); }
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        for (int i = 0; i < reps && (i < 3 || total.Elapsed.TotalSeconds < budgetSeconds); i++)
        {
            var sw = Stopwatch.StartNew();
            run();
            sync();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }
}
