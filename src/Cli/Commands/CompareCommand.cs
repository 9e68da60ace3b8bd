using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Engine.Cli.Comparison;
using Engine.Cli.Output;

namespace Engine.Cli.Commands;

/// <summary>
/// <c>engine compare</c>: reads the metrics.jsonl of training runs, grouped by label (the seeds of one configuration),
/// and prints, per group, the metric's final and best values (mean ± std over the runs), the difference from the
/// baseline group with Welch's t-test, and the median ms/iter; optionally writes the curves (mean over a group's runs,
/// their range shaded) as an SVG.
/// </summary>
internal static class CompareCommand
{
    public static Command Create(CliSession session)
    {
        var runs = new Argument<string[]>("runs")
        {
            Description = "[LABEL=]PATH[,PATH...]: a group of runs (e.g. the seeds of one method), PATH a run's --out-dir or its metrics.jsonl",
            Arity = ArgumentArity.OneOrMore,
        };
        var metric = new Option<string>("--metric") { Description = "the logged value compared (lower is not assumed better)", DefaultValueFactory = _ => "val_loss" };
        var baseline = new Option<string?>("--baseline") { Description = "label of the group the others are tested against (default: the first)" };
        var svg = new Option<string?>("--svg") { Description = "write the metric's curves to this SVG file" };
        var format = new Option<string>("--format") { Description = "text | markdown | json", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "markdown", "json");
        var command = new Command("compare", "Compare training runs on a logged metric: mean ± std over seeds, Welch's t-test against a baseline, SVG curves.")
        {
            runs, metric, baseline, svg, format,
        };
        command.SetAction(result => Run(session, result.GetRequiredValue(runs), result.GetRequiredValue(metric), result.GetValue(baseline),
            result.GetValue(svg), result.GetRequiredValue(format)));
        return command;
    }

    private static int Run(CliSession session, string[] arguments, string metric, string? baseline, string? svg, string format)
    {
        if (svg is not null) RequireWritableFile("--svg", svg);
        var groups = arguments.Select(RunGroup.Parse).ToList();
        var duplicate = groups.GroupBy(g => g.Label).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new UsageException($"two groups are labelled '{duplicate.Key}'; name them: LABEL=PATH[,PATH...]");
        var summaries = RunComparison.Summarize(groups, metric, baseline ?? groups[0].Label);
        var reference = summaries.Single(s => s.Verdict == "baseline").Label;
        switch (format)
        {
            case "json": WriteJson(session.Out, metric, reference, summaries); break;
            case "markdown": WriteMarkdown(session.Out, summaries); break;
            default:
                session.Out.WriteLine($"{metric} at each run's last logged step; Welch's t-test (two-sided) against '{reference}', α = {Number(RunComparison.Alpha, "G")}");
                TextTable.Write(session.Out, session.IsTerminal, Columns, summaries.Select(Row).ToList());
                break;
        }
        if (svg is not null)
        {
            var plot = SvgLinePlot.Render($"{metric}: mean over runs, range shaded", "step", metric,
                groups.Select(g => RunComparison.Curve(g, metric)).ToList());
            SvgLinePlot.Save(plot, svg);
            if (format != "json") session.Out.WriteLine($"curves: {svg}");
        }
        return ExitCodes.Success;
    }

    private static readonly string[] Columns = ["label", "runs", "step", "final (mean ± std)", "best (mean ± std)", "Δ final", "p", "verdict", "ms/iter"];

    private static string[] Row(GroupSummary s) =>
    [
        s.Label,
        s.Runs.ToString(CultureInfo.InvariantCulture),
        s.FirstFinalStep == s.LastFinalStep ? Number(s.FirstFinalStep, "D") : $"{s.FirstFinalStep}-{s.LastFinalStep}",
        MeanStd(s.FinalMean, s.FinalStd),
        MeanStd(s.BestMean, s.BestStd),
        double.IsFinite(s.Difference) ? Number(s.Difference, "+0.0000;-0.0000;0.0000") : "-",
        s.VersusBaseline is { } p ? PValue(p.PValue) : "-",
        s.Verdict,
        double.IsFinite(s.MsPerIterMedian) ? Number(s.MsPerIterMedian, "F1") : "-",
    ];

    private static void WriteMarkdown(TextWriter output, IReadOnlyList<GroupSummary> summaries)
    {
        output.WriteLine("| " + string.Join(" | ", Columns) + " |");
        output.WriteLine("|" + string.Concat(Columns.Select((_, i) => i == 0 ? "---|" : "---:|")));
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
                json.WriteNumber("final_step_min", s.FirstFinalStep);
                json.WriteNumber("final_step_max", s.LastFinalStep);
                json.WriteStartArray("finals");
                foreach (var v in s.Finals) json.WriteNumberValue(v);
                json.WriteEndArray();
                Write(json, "final_mean", s.FinalMean);
                Write(json, "final_std", s.FinalStd);
                Write(json, "best_mean", s.BestMean);
                Write(json, "best_std", s.BestStd);
                Write(json, "ms_per_iter_median", s.MsPerIterMedian);
                Write(json, "difference", s.Difference);
                Write(json, "t", s.VersusBaseline?.T ?? double.NaN);
                Write(json, "df", s.VersusBaseline?.DegreesOfFreedom ?? double.NaN);
                Write(json, "p", s.VersusBaseline?.PValue ?? double.NaN);
                json.WriteString("verdict", s.Verdict);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void Write(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteNull(name);
    }

    private static void RequireWritableFile(string flag, string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UsageException($"{flag} needs a file name");
        if (Directory.Exists(path)) throw new UsageException($"{flag}: '{path}' is a folder; name a file");
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null && !Directory.Exists(folder)) throw new UsageException($"{flag}: folder '{folder}' does not exist");
    }

    private static string MeanStd(double mean, double std) =>
        double.IsFinite(std) ? $"{Number(mean, "F4")} ± {Number(std, "F4")}" : Number(mean, "F4");

    private static string PValue(double p) => p < 1e-4 ? "<0.0001" : Number(p, "F4");

    private static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Number(long value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
