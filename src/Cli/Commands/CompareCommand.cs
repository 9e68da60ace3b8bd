using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Engine.Cli.Comparison;
using Engine.Cli.Output;

namespace Engine.Cli.Commands;

/// <summary>
/// <c>engine compare</c>: reads the metrics.jsonl of training runs, grouped by label (the seeds of one configuration),
/// and prints, per group, the metric's final value and minimum (mean ± std over the runs), the difference from the
/// baseline group with Welch's t-test, and the median ms/iter; optionally writes the curves (mean over a group's runs,
/// their range shaded) as an SVG. Warnings (runs ending at different steps, a curve with no common step) go to stderr,
/// so stdout stays a table, markdown or pure JSON.
/// </summary>
internal static class CompareCommand
{
    private static readonly string[] Formats = ["text", "markdown", "json"];

    public static Command Create(CliSession session)
    {
        var runs = new Argument<string[]>("runs")
        {
            Description = "[LABEL=]PATH[,PATH...]: a group of runs (e.g. the seeds of one method), PATH a run's --out-dir or its metrics.jsonl",
            Arity = ArgumentArity.OneOrMore,
        };
        var metric = new Option<string>("--metric") { Description = "the logged value compared", DefaultValueFactory = _ => "val_loss" };
        var baseline = new Option<string?>("--baseline") { Description = "label of the group the others are tested against (default: the first)" };
        var svg = new Option<string?>("--svg") { Description = "write the metric's curves to this SVG file" };
        var format = new Option<string>("--format") { Description = string.Join(" | ", Formats), DefaultValueFactory = _ => "text" };
        var target = new Option<double?>("--target") { Description = "also report each group's steps to reach this value (first logged step at or below it)" };
        var command = new Command("compare", "Compare training runs on a logged metric: mean ± std over seeds, Welch's t-test against a baseline, SVG curves.")
        {
            runs, metric, baseline, svg, format, target,
        };
        command.SetAction(result => Run(session, result.GetRequiredValue(runs), result.GetRequiredValue(metric), result.GetValue(baseline),
            result.GetValue(svg), result.GetRequiredValue(format), result.GetValue(target)));
        return command;
    }

    private static int Run(CliSession session, string[] arguments, string metric, string? baseline, string? svg, string format,
                           double? target)
    {
        if (!Formats.Contains(format)) throw new UsageException($"--format must be {string.Join(", ", Formats)} (got '{format}')");
        if (target is { } t && !double.IsFinite(t)) throw new UsageException($"--target must be a finite number (got {t})");
        if (svg is not null) OutputFile.RequireWritable("--svg", svg);
        var groups = arguments.Select(RunGroup.Parse).ToList();
        var duplicate = groups.GroupBy(g => g.Label).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new UsageException($"two groups are labelled '{duplicate.Key}'; name them: LABEL=PATH[,PATH...]");
        var summaries = RunComparison.Summarize(groups, metric, baseline ?? groups[0].Label, target);
        var columns = target is { } level ? [.. Columns, $"steps to ≤ {Number(level, "G")}"] : Columns;
        var reference = summaries.Single(s => s.IsBaseline).Label;
        WarnAboutUnevenEnds(session.Error, summaries);
        // The plot is written before anything is printed: a failure to write it leaves no half-finished output.
        if (svg is not null) WriteCurves(session.Error, svg, groups, metric);

        switch (format)
        {
            case "json": WriteJson(session.Out, metric, reference, summaries); break;
            case "markdown": WriteMarkdown(session.Out, columns, summaries); break;
            default:
                session.Out.WriteLine($"{metric} at each run's last logged step; Welch's t-test (two-sided) against '{reference}', α = {Number(RunComparison.Alpha, "G")}");
                TextTable.Write(session.Out, session.IsTerminal, columns, summaries.Select(Row).ToList());
                break;
        }
        if (svg is not null) (format == "text" ? session.Out : session.Error).WriteLine($"curves: {svg}");
        return ExitCodes.Success;
    }

    /// <summary>A run still going, or one that stopped early, is compared at its own last step: say so.</summary>
    private static void WarnAboutUnevenEnds(TextWriter error, IReadOnlyList<GroupSummary> summaries)
    {
        if (summaries.Select(s => s.MinFinalStep).Concat(summaries.Select(s => s.MaxFinalStep)).Distinct().Count() <= 1) return;
        var ends = string.Join(", ", summaries.Select(s => $"{s.Label} {StepRange(s)}"));
        error.WriteLine($"engine: warning: the runs end at different steps ({ends}); each is compared at its own last step");
    }

    private static void WriteCurves(TextWriter error, string svg, IReadOnlyList<RunGroup> groups, string metric)
    {
        var curves = groups.Select(g => RunComparison.Curve(g, metric)).ToList();
        foreach (var empty in curves.Where(c => c.Line.Count == 0))
            error.WriteLine($"engine: warning: '{empty.Name}' has no step at which all its runs logged a finite {metric}; its curve is empty");
        var plot = SvgLinePlot.Render($"{metric}: mean over runs, range shaded", "step", metric, curves);
        try
        {
            SvgLinePlot.Save(plot, svg);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"--svg {svg}: {e.Message}", e);
        }
    }

    private static readonly string[] Columns = ["label", "runs", "step", "final (mean ± std)", "min (mean ± std)", "Δ final", "p", "verdict", "ms/iter"];

    private static string[] Row(GroupSummary s) =>
    [
        s.Label,
        s.Runs.ToString(CultureInfo.InvariantCulture),
        StepRange(s),
        s.Diverged > 0 ? "diverged" : MeanStd(s.FinalMean, s.FinalStd),
        MeanStd(s.MinMean, s.MinStd),
        double.IsFinite(s.Difference) ? Number(s.Difference, "+0.0000;-0.0000;0.0000") : "-",
        s.VersusBaseline is { } test ? PValue(test.PValue) : "-",
        s.Verdict,
        double.IsFinite(s.MsPerIterMedian) ? Number(s.MsPerIterMedian, "F1") : "-",
        .. s.StepsToTarget.Count > 0 ? [StepsToTarget(s.StepsToTarget)] : Array.Empty<string>(),
    ];

    /// <summary>Mean ± std of the runs that reached the target, and how many did when not all.</summary>
    private static string StepsToTarget(IReadOnlyList<long?> steps)
    {
        var reached = steps.OfType<long>().Select(s => (double)s).ToList();
        if (reached.Count == 0) return "not reached";
        var text = MeanStd(reached.Average(), RunComparison.Spread(reached), "F0");
        return reached.Count == steps.Count ? text : $"{text} ({reached.Count} of {steps.Count} runs)";
    }

    private static void WriteMarkdown(TextWriter output, IReadOnlyList<string> columns, IReadOnlyList<GroupSummary> summaries)
    {
        output.WriteLine("| " + string.Join(" | ", columns) + " |");
        output.WriteLine("|" + string.Concat(columns.Select((_, i) => i is 0 or 7 ? "---|" : "---:|")));
        foreach (var s in summaries) output.WriteLine("| " + string.Join(" | ", Row(s).Select(c => c.Replace("|", "\\|"))) + " |");
    }

    private static void WriteJson(TextWriter output, string metric, string reference, IReadOnlyList<GroupSummary> summaries)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("metric", metric);
            json.WriteString("baseline", reference);
            json.WriteNumber("alpha", RunComparison.Alpha);
            json.WriteStartArray("groups");
            foreach (var s in summaries)
            {
                json.WriteStartObject();
                json.WriteString("label", s.Label);
                json.WriteNumber("runs", s.Runs);
                json.WriteNumber("final_step_min", s.MinFinalStep);
                json.WriteNumber("final_step_max", s.MaxFinalStep);
                json.WriteNumber("diverged", s.Diverged);
                json.WriteStartArray("finals");
                foreach (var v in s.Finals) JsonNumbers.WriteValue(json, v);
                json.WriteEndArray();
                JsonNumbers.Write(json, "final_mean", s.FinalMean);
                JsonNumbers.Write(json, "final_std", s.FinalStd);
                JsonNumbers.Write(json, "min_mean", s.MinMean);
                JsonNumbers.Write(json, "min_std", s.MinStd);
                JsonNumbers.Write(json, "ms_per_iter_median", s.MsPerIterMedian);
                JsonNumbers.Write(json, "difference", s.Difference);
                JsonNumbers.Write(json, "t", s.VersusBaseline?.T ?? double.NaN);
                JsonNumbers.Write(json, "df", s.VersusBaseline?.DegreesOfFreedom ?? double.NaN);
                JsonNumbers.Write(json, "p", s.VersusBaseline?.PValue ?? double.NaN);
                json.WriteString("verdict", s.Verdict);
                if (s.StepsToTarget.Count > 0)
                {
                    json.WriteStartArray("steps_to_target");
                    foreach (var step in s.StepsToTarget)
                        if (step is { } value) json.WriteNumberValue(value); else json.WriteNullValue();
                    json.WriteEndArray();
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static string StepRange(GroupSummary s) =>
        s.MinFinalStep == s.MaxFinalStep ? Number(s.MinFinalStep) : $"{Number(s.MinFinalStep)}-{Number(s.MaxFinalStep)}";

    private static string MeanStd(double mean, double std, string format = "F4") =>
        !double.IsFinite(mean) ? "-" : double.IsFinite(std) ? $"{Number(mean, format)} ± {Number(std, format)}" : Number(mean, format);

    private static string PValue(double p) => p < 1e-4 ? "<0.0001" : Number(p, "F4");

    private static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
