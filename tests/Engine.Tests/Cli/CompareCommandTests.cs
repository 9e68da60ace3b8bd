using System.Globalization;
using System.Text.Json;
using Engine.Cli.Comparison;
using Xunit;

namespace Engine.Tests.Cli;

public sealed class CompareCommandTests
{
    /// <summary>A run folder whose metrics.jsonl logs (step, val_loss, ms_per_iter) records; null values are written as JSON null.</summary>
    private static string Run(TempDirectory dir, string name, params (int Step, double? Val, double Ms)[] records)
    {
        var folder = Path.Combine(dir.Path, name);
        Directory.CreateDirectory(folder);
        var lines = records.Select(r => string.Create(CultureInfo.InvariantCulture,
            $$"""{"step":{{r.Step}},"train_loss":{{(r.Val is { } v ? (v + 0.1).ToString(CultureInfo.InvariantCulture) : "null")}},"val_loss":{{(r.Val is { } w ? w.ToString(CultureInfo.InvariantCulture) : "null")}},"ms_per_iter":{{r.Ms}}}"""));
        File.WriteAllText(Path.Combine(folder, "metrics.jsonl"), string.Join("\n", lines) + "\n");
        return folder;
    }

    /// <summary>val_loss at 10, 20, 30, ending at <paramref name="final"/>, its minimum mid-run (final - 0.05 at step 20).</summary>
    private static string Run(TempDirectory dir, string name, double final, double ms = 10) =>
        Run(dir, name, (10, final + 0.5, ms), (20, final - 0.05, ms + 1), (30, final, ms + 2));

    private static JsonElement Group(JsonDocument json, string label) =>
        json.RootElement.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("label").GetString() == label);

    /// <summary>A nested object's numbers (perturbation_by_tensor) are metrics named "key.child"; a null child is NaN.</summary>
    [Fact]
    public void NestedValuesAreComparedUnderDottedNames()
    {
        using var dir = new TempDirectory();
        string Folder(string name, double wte)
        {
            var folder = Path.Combine(dir.Path, name);
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "metrics.jsonl"), string.Create(CultureInfo.InvariantCulture,
                $$$"""{"step":10,"perturbation":0.1,"perturbation_by_tensor":{"wte.weight":{{{wte}}},"h.0.bias":null}}""") + "\n");
            return folder;
        }
        var log = MetricsLog.Load(Folder("a", 0.25));
        Assert.Equal(0.25, log.Final("perturbation_by_tensor.wte.weight")!.Value.Value);
        Assert.True(double.IsNaN(log.Final("perturbation_by_tensor.h.0.bias")!.Value.Value));
        var run = CliRun.Of("compare", $"x={Folder("b", 0.5)}", $"y={Folder("c", 0.75)}", "--metric", "perturbation_by_tensor.wte.weight",
                            "--format", "json");
        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(0.75, Group(json, "y").GetProperty("final_mean").GetDouble(), 12);
    }

    [Fact]
    public void GroupsAreSummarizedAndTestedAgainstTheBaseline()
    {
        using var dir = new TempDirectory();
        string a = string.Join(",", Run(dir, "a0", 2.0), Run(dir, "a1", 2.1), Run(dir, "a2", 2.2));
        string b = string.Join(",", Run(dir, "b0", 1.5, 20), Run(dir, "b1", 1.6, 30), Run(dir, "b2", 1.7, 40));
        var run = CliRun.Of("compare", $"adamw={a}", $"other={b}", "--format", "json");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal("", run.Error);
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal("adamw", json.RootElement.GetProperty("baseline").GetString());
        var baseline = Group(json, "adamw");
        Assert.Equal("baseline", baseline.GetProperty("verdict").GetString());
        Assert.Equal(2.1, baseline.GetProperty("final_mean").GetDouble(), 12);
        Assert.Equal(0.1, baseline.GetProperty("final_std").GetDouble(), 12);
        Assert.Equal(JsonValueKind.Null, baseline.GetProperty("p").ValueKind);

        var other = Group(json, "other");
        Assert.Equal([1.5, 1.6, 1.7], other.GetProperty("finals").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal(30, other.GetProperty("final_step_max").GetInt64());
        Assert.Equal(1.55, other.GetProperty("min_mean").GetDouble(), 12);      // each run's minimum is mid-run, 0.05 under its final
        // The median over every logged interval of the group (20,21,22, 30,31,32, 40,41,42), not a median of medians or a mean.
        Assert.Equal(31, other.GetProperty("ms_per_iter_median").GetDouble(), 12);
        Assert.Equal(-0.5, other.GetProperty("difference").GetDouble(), 12);
        // Equal spreads and sizes: t = Δ / sqrt(2 s²/n), df = 2(n-1) = 4, and Student's t with 4 degrees of freedom
        // has a closed-form CDF: F(t) = 1/2 + (3/8) u (1 - t²/(12 (1 + t²/4))), u = t / sqrt(1 + t²/4).
        double t = -0.5 / Math.Sqrt(2 * 0.01 / 3);
        Assert.Equal(t, other.GetProperty("t").GetDouble(), 9);
        Assert.Equal(4, other.GetProperty("df").GetDouble(), 9);
        double u = Math.Abs(t) / Math.Sqrt(1 + t * t / 4);
        double upper = 0.5 - 0.375 * u * (1 - t * t / (12 * (1 + t * t / 4)));
        Assert.Equal(2 * upper, other.GetProperty("p").GetDouble(), 9);
        Assert.Equal("lower", other.GetProperty("verdict").GetString());
    }

    [Fact]
    public void WelchTestMatchesClosedFormsAndANumericalIntegral()
    {
        // Two degrees of freedom (n = 2 each, equal variances): F(t) = 1/2 + t / (2 sqrt(2 + t²)).
        var equal = WelchTest.Compare([1.0, 3.0], [0.0, 2.0])!.Value;
        Assert.Equal(2, equal.DegreesOfFreedom, 12);
        Assert.Equal(2 * (0.5 - equal.T / (2 * Math.Sqrt(2 + equal.T * equal.T))), equal.PValue, 12);

        // Unequal spreads and sizes: fractional df by Welch–Satterthwaite, and the two-sided p as an integral of
        // Student's density. With x = sqrt(ν) tan θ, P(|T| > t) = ∫_{atan(t/√ν)}^{π/2} cos^(ν-1) θ dθ / ∫_0^{π/2} cos^(ν-1) θ dθ.
        double[] a = [2.05, 2.11, 2.08, 2.20], b = [2.31, 2.26];
        var test = WelchTest.Compare(a, b)!.Value;
        double va = Variance(a) / a.Length, vb = Variance(b) / b.Length;
        Assert.Equal((a.Average() - b.Average()) / Math.Sqrt(va + vb), test.T, 12);
        double nu = Math.Pow(va + vb, 2) / (va * va / (a.Length - 1) + vb * vb / (b.Length - 1));
        Assert.Equal(nu, test.DegreesOfFreedom, 12);
        Assert.NotEqual(Math.Round(nu), nu, 3);
        double from = Math.Atan(Math.Abs(test.T) / Math.Sqrt(nu));
        double p = Simpson(th => Math.Pow(Math.Cos(th), nu - 1), from, Math.PI / 2) / Simpson(th => Math.Pow(Math.Cos(th), nu - 1), 0, Math.PI / 2);
        Assert.Equal(p, test.PValue, 7);

        // Identical samples: t = 0, p = 1. One value, or no spread at all: no test.
        Assert.Equal(1, WelchTest.Compare([1.0, 2.0, 3.0], [3.0, 2.0, 1.0])!.Value.PValue, 12);
        Assert.Null(WelchTest.Compare([1.0], [1.0, 2.0]));
        Assert.Null(WelchTest.Compare([2.0, 2.0], [1.0, 1.0]));
    }

    private static double Variance(double[] x) => x.Sum(v => (v - x.Average()) * (v - x.Average())) / (x.Length - 1);

    private static double Simpson(Func<double, double> f, double from, double to, int intervals = 20000)
    {
        double h = (to - from) / intervals, sum = f(from) + f(to);
        for (int i = 1; i < intervals; i++) sum += f(from + i * h) * (i % 2 == 1 ? 4 : 2);
        return sum * h / 3;
    }

    [Fact]
    public void TextAndMarkdownTablesNameEveryGroupAndTheSvgDrawsMeansAndRanges()
    {
        using var dir = new TempDirectory();
        string a = string.Join(",", Run(dir, "a0", 2.0), Run(dir, "a1", 2.2));
        string single = Run(dir, "single-run", 1.9);
        var svg = Path.Combine(dir.Path, "curves.svg");
        var text = CliRun.Of("compare", $"base={a}", single, "--svg", svg);
        Assert.True(text.ExitCode == 0, text.Error);
        Assert.Equal("", text.Error);
        Assert.Contains("val_loss at each run's last logged step", text.Out);
        var rows = text.Out.Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.Contains(rows, r => r.StartsWith("base ", StringComparison.Ordinal) && r.Contains("2.1000 ± 0.1414") && r.EndsWith("11.0"));
        Assert.Contains(rows, r => r.StartsWith("single-run ", StringComparison.Ordinal) && r.Contains("-0.2000")
                                   && r.Contains("no test (needs 2+ runs in each group)"));
        Assert.Contains($"curves: {svg}", text.Out);

        var drawn = SvgAssert.Series(svg);
        Assert.Equal(["base (n=2)", "single-run"], drawn.Keys);
        Assert.Equal(3, drawn["base (n=2)"].LinePoints);
        Assert.Equal(6, drawn["base (n=2)"].BandPoints);   // upper edge forward, lower edge back
        Assert.Equal(0, drawn["single-run"].BandPoints);
        // SVG's y grows downwards: the single run's lower final loss is drawn at a larger y.
        Assert.True(drawn["single-run"].Line[^1].Y > drawn["base (n=2)"].Line[^1].Y);

        var markdown = CliRun.Of("compare", $"base={a}", single, "--format", "markdown", "--baseline", "single-run");
        Assert.True(markdown.ExitCode == 0, markdown.Error);
        var lines = markdown.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("| label | runs | step |", lines[0]);
        Assert.StartsWith("|---|---:|", lines[1]);
        Assert.Contains("| single-run | 1 | 30 | 1.9000 | 1.8500 | - | - | baseline |", lines[3]);

        // JSON on stdout stays pure JSON with --svg: the file's name goes to stderr.
        var json = CliRun.Of("compare", $"base={a}", single, "--format", "json", "--svg", svg);
        Assert.True(json.ExitCode == 0, json.Error);
        using (JsonDocument.Parse(json.Out)) { }
        Assert.Contains($"curves: {svg}", json.Error);
    }

    [Fact]
    public void StepsToATargetCountTheFirstLoggedStepAtOrBelowIt()
    {
        using var dir = new TempDirectory();
        // val_loss by step: a0 2.5, 1.95, 2.0; a1 2.6, 2.05, 2.1 (never at or below 2.0); b0 2.0, 1.45, 1.5.
        string a = string.Join(",", Run(dir, "a0", 2.0), Run(dir, "a1", 2.1));
        string b = Run(dir, "b0", 1.5);
        var json = CliRun.Of("compare", $"a={a}", $"b={b}", "--target", "2.0", "--format", "json");
        Assert.True(json.ExitCode == 0, json.Error);
        using var doc = JsonDocument.Parse(json.Out);
        var steps = Group(doc, "a").GetProperty("steps_to_target").EnumerateArray().ToList();
        Assert.Equal(20, steps[0].GetInt64());
        Assert.Equal(JsonValueKind.Null, steps[1].ValueKind);
        Assert.Equal(10, Group(doc, "b").GetProperty("steps_to_target")[0].GetInt64());

        var text = CliRun.Of("compare", $"a={a}", $"b={b}", "--target", "2.0");
        var lines = text.Out.Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.EndsWith("steps to ≤ 2", lines[1]);
        Assert.Contains(lines, l => l.StartsWith("a ", StringComparison.Ordinal) && l.EndsWith("20 (1 of 2 runs)"));
        Assert.Contains(lines, l => l.StartsWith("b ", StringComparison.Ordinal) && l.EndsWith("10"));
        Assert.Contains(CliRun.Of("compare", $"a={a}", "--target", "1.0").Out.Split('\n'), l => l.TrimEnd().EndsWith("not reached"));
        // Without --target there is no such column or key.
        Assert.DoesNotContain("steps to", CliRun.Of("compare", $"a={a}").Out);
    }

    [Fact]
    public void ADivergedRunIsReportedAsSuchNotByItsLastFiniteValue()
    {
        using var dir = new TempDirectory();
        string a = string.Join(",", Run(dir, "a0", 2.0), Run(dir, "a1", 2.1));
        string b = string.Join(",", Run(dir, "b0", 1.9), Run(dir, "b1", (10, 2.5, 10), (20, 2.2, 10), (30, null, 10)));
        var run = CliRun.Of("compare", $"base={a}", $"hot={b}", "--format", "json");
        Assert.True(run.ExitCode == 0, run.Error);
        using var json = JsonDocument.Parse(run.Out);
        var hot = Group(json, "hot");
        Assert.Equal("diverged (1 of 2 runs)", hot.GetProperty("verdict").GetString());
        Assert.Equal(1, hot.GetProperty("diverged").GetInt32());
        Assert.Equal(JsonValueKind.Null, hot.GetProperty("finals")[1].ValueKind);
        Assert.Equal(JsonValueKind.Null, hot.GetProperty("final_mean").ValueKind);
        Assert.Equal(JsonValueKind.Null, hot.GetProperty("p").ValueKind);
        var text = CliRun.Of("compare", $"base={a}", $"hot={b}");
        Assert.Contains(text.Out.Split('\n'), l => l.StartsWith("hot ", StringComparison.Ordinal) && l.Contains("diverged"));
        // The baseline diverging leaves every other group untested.
        var flipped = CliRun.Of("compare", $"hot={b}", $"base={a}", "--format", "json");
        using var flippedJson = JsonDocument.Parse(flipped.Out);
        Assert.Equal("no test (the baseline diverged)", Group(flippedJson, "base").GetProperty("verdict").GetString());
    }

    [Fact]
    public void FoldersWithEqualsSignsAreRunsAndUnevenRunsAreWarnedAbout()
    {
        using var dir = new TempDirectory();
        string plain = Run(dir, "lr=0.004", 2.0);
        string nested = Run(dir, Path.Combine("sweep", "lr=0.008"), 2.1);
        string shorter = Run(dir, "short", (10, 2.6, 10), (20, 2.4, 10));
        string disjoint = Run(dir, "odd", (15, 2.5, 10), (25, 2.3, 10));
        var svg = Path.Combine(dir.Path, "p.svg");
        var run = CliRun.Of("compare", plain, $"x={nested}", $"y={shorter},{disjoint}", "--svg", svg);
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains(run.Out.Split('\n'), l => l.StartsWith("lr=0.004 ", StringComparison.Ordinal) && l.Contains("baseline"));
        Assert.Contains(run.Out.Split('\n'), l => l.StartsWith("x ", StringComparison.Ordinal));
        Assert.Contains(run.Out.Split('\n'), l => l.StartsWith("y ", StringComparison.Ordinal) && l.Contains("20-25"));
        var warnings = run.ErrorLines;
        Assert.Contains(warnings, l => l.StartsWith("engine: warning: the runs end at different steps", StringComparison.Ordinal)
                                       && l.Contains("y 20-25") && l.Contains("x 30"));
        Assert.Contains(warnings, l => l.StartsWith("engine: warning: 'y (n=2)' has no step", StringComparison.Ordinal));
        Assert.Equal(0, SvgAssert.Series(svg)["y (n=2)"].LinePoints);
        // A path under a folder whose name has '=' is a path too, label or not.
        Assert.Equal(0, CliRun.Of("compare", Path.Combine(dir.Path, "sweep", "lr=0.008", "metrics.jsonl")).ExitCode);
    }

    [Fact]
    public void AResumedRunsLaterRecordsWinAndOnlyACutLastLineIsLeftOut()
    {
        using var dir = new TempDirectory();
        var cut = dir.File("cut.jsonl",
            "{\"step\":10,\"val_loss\":3.0}\n{\"step\":20,\"val_loss\":2.9}\n" +
            "{\"step\":20,\"val_loss\":2.5}\n\n{\"step\":30,\"val_loss\":2.4}\n{\"step\":40,\"val_lo");
        Assert.Equal([(10L, 3.0), (20L, 2.5), (30L, 2.4)], MetricsLog.Load(cut).Series("val_loss"));
        var complete = dir.File("complete.jsonl", "{\"step\":10,\"val_loss\":3.0}\n{\"step\":20,\"val_loss\":2.5}");
        Assert.Equal([(10L, 3.0), (20L, 2.5)], MetricsLog.Load(complete).Series("val_loss"));
    }

    [Fact]
    public void BadInputNamesTheFileLineOrFlag()
    {
        using var dir = new TempDirectory();
        var good = Run(dir, "good", 2.0);
        var missing = Path.Combine(dir.Path, "nowhere");
        CliRun.Of("compare", missing).SingleErrorLine(missing, "no such file or folder");
        var empty = Path.Combine(dir.Path, "empty");
        Directory.CreateDirectory(empty);
        CliRun.Of("compare", empty).SingleErrorLine(empty, "no metrics.jsonl");
        var broken = dir.File("broken.jsonl", "{\"step\":10,\"val_loss\":3.0}\nnot json\n");
        CliRun.Of("compare", broken).SingleErrorLine($"{broken}:2", "not a JSON record");
        var noStep = dir.File("nostep.jsonl", "{\"val_loss\":3.0}\n");
        CliRun.Of("compare", noStep).SingleErrorLine($"{noStep}:1", "no step");
        CliRun.Of("compare", good, "--metric", "accuracy").SingleErrorLine("--metric accuracy", "never logs", "train_loss, val_loss, ms_per_iter");
        CliRun.Of("compare", good, "--baseline", "adamw").SingleErrorLine("--baseline 'adamw'", "good");
        CliRun.Of("compare", good, good).SingleErrorLine("two groups are labelled 'good'");
        CliRun.Of("compare", $" ={good}").SingleErrorLine("the label before '=' is empty");
        CliRun.Of("compare", "x=,").SingleErrorLine("names no run");
        CliRun.Of("compare", $"x={good}", "--svg", Path.Combine(dir.Path, "no", "such", "plot.svg")).SingleErrorLine("--svg", "does not exist");
        CliRun.Of("compare", $"x={good}", "--svg", dir.Path).SingleErrorLine("--svg", "is a folder");
        CliRun.Of("compare", good, "--format", "csv").SingleErrorLine("--format must be text, markdown, json (got 'csv')");
        Assert.Equal(2, CliRun.Of("compare").ExitCode);
    }
}
