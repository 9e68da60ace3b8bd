using System.Globalization;
using Engine.Models.Training;

namespace Engine.Cli.Output;

/// <summary>
/// Shows a training run's progress: a live Spectre.Console bar (step, loss, tokens/s, ETA) on a terminal, one plain
/// line per logged step when standard output is a pipe, file or CI log.
/// </summary>
public abstract class ProgressView
{
    public static ProgressView For(CliSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return session.IsTerminal ? new SpectreProgressView(session.Out) : new PlainProgressView(session.Out);
    }

    /// <summary>Runs <paramref name="body"/> (steps <paramref name="firstStep"/>..<paramref name="totalSteps"/>) while showing its progress.</summary>
    public abstract T Run<T>(long firstStep, long totalSteps, Func<IProgressSink, T> body);

    /// <summary>
    /// "step 20/2000  loss 2.3456  val 2.4011  lr 1.00e-03  |g| 0.850  s_t 1.712  12,345 tok/s  ETA 1m23s", with the
    /// structured method's scalars (s_t, |g_glob|/|g|, cos(g,g_s), clip, hf) after |g|.
    /// </summary>
    public static string Describe(TrainProgress m, long firstStep)
    {
        var c = CultureInfo.InvariantCulture;
        var text = string.Create(c, $"step {m.Step}/{m.MaxIters}  loss {m.TrainLoss:F4}");
        if (m.ValLoss is { } val) text += string.Create(c, $"  val {val:F4}");
        text += string.Create(c, $"  lr {m.LearningRate:0.00e+00}  |g| {m.GradNorm:F3}");
        foreach (var (key, value) in m.MethodMetrics ?? new Dictionary<string, double>())
            text += string.Create(c, $"  {MetricLabels.GetValueOrDefault(key, key)} {value:0.000}");
        text += string.Create(c, $"  {m.TokensPerSecond:N0} tok/s");
        if (EstimatedRemaining(m, firstStep) is { } eta) text += "  ETA " + FormatDuration(eta);
        return text;
    }

    private static readonly Dictionary<string, string> MetricLabels = new(StringComparer.Ordinal)
    {
        ["cgfm.step_multiplier"] = "s_t",
        ["cgfm.global_fraction"] = "|g_glob|/|g|",
        ["sgg.cos_g_gs"] = "cos(g,g_s)",
        ["sgg.clip_rate"] = "clip",
        ["spectral.high_freq_fraction"] = "hf",
    };

    /// <summary>Time left at the average pace of the steps this run has taken since <paramref name="firstStep"/>.</summary>
    public static TimeSpan? EstimatedRemaining(TrainProgress m, long firstStep)
    {
        long done = m.Step - firstStep, left = m.MaxIters - m.Step;
        if (done <= 0 || left < 0) return null;
        return TimeSpan.FromTicks((long)(m.Elapsed.Ticks * ((double)left / done)));
    }

    /// <summary>"45s", "3m07s", "2h05m".</summary>
    public static string FormatDuration(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{(int)span.TotalHours}h{span.Minutes:00}m"
        : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes}m{span.Seconds:00}s"
        : $"{Math.Max(0, (int)Math.Ceiling(span.TotalSeconds))}s";
}
