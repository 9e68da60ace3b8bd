using System.Globalization;
using System.Text.Json;
using Engine.Cli.Comparison;
using Xunit;

namespace Engine.Tests.Cli;

public sealed class CompareCommandTests
{
    /// <summary>A run folder whose metrics.jsonl logs val_loss at 10, 20, 30, ending at <paramref name="final"/>.</summary>
    private static string Run(TempDirectory dir, string name, double final, double msPerIter = 10)
    {
        var folder = Path.Combine(dir.Path, name);
        Directory.CreateDirectory(folder);
        var lines = new[] { (10, final + 0.5), (20, final + 0.2), (30, final) }.Select(p => string.Create(CultureInfo.InvariantCulture,
            $$"""{"step":{{p.Item1}},"train_loss":{{p.Item2 + 0.1}},"val_loss":{{p.Item2}},"ms_per_iter":{{msPerIter}}}"""));
        File.WriteAllText(Path.Combine(folder, "metrics.jsonl"), string.Join("\n", lines) + "\n");
        return folder;
    }

    private static JsonElement Group(JsonDocument json, string label) =>
        json.RootElement.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("label").GetString() == label);

    [Fact]
    public void GroupsAreSummarizedAndTestedAgainstTheBaseline()
    {
        using var dir = new TempDirectory();
        string a = string.Join(",", Run(dir, "a0", 2.0), Run(dir, "a1", 2.1), Run(dir, "a2", 2.2));
        string b = string.Join(",", Run(dir, "b0", 1.5, 20), Run(dir, "b1", 1.6, 30), Run(dir, "b2", 1.7, 40));
        var run = CliRun.Of("compare", $"adamw={a}", $"other={b}", "--format", "json");
        Assert.True(run.ExitCode == 0, run.Error);
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
        Assert.Equal(1.6, other.GetProperty("best_mean").GetDouble(), 12);     // each run's minimum is its last value here
        Assert.Equal(30, other.GetProperty("ms_per_iter_median").GetDouble(), 12);
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
    public void WelchTestMatchesClosedFormsAndHandlesDegenerateSamples()
    {
        // Two degrees of freedom (n = 2 each, equal variances): F(t) = 1/2 + t / (2 sqrt(2 + t²)).
        var test = WelchTest.Compare([1.0, 3.0], [0.0, 0.5])!.Value;
        double se = Math.Sqrt(2.0 / 2 + 0.125 / 2);
        Assert.Equal(1.75 / se, test.T, 12);
        double df = Math.Pow(se * se, 2) / (1.0 / 1 + Math.Pow(0.0625, 2) / 1);
        Assert.Equal(df, test.DegreesOfFreedom, 12);
        // Equal variances give exactly df = 2 and the closed form.
        var equal = WelchTest.Compare([1.0, 3.0], [0.0, 2.0])!.Value;
        Assert.Equal(2, equal.DegreesOfFreedom, 12);
        Assert.Equal(2 * (0.5 - equal.T / (2 * Math.Sqrt(2 + equal.T * equal.T))), equal.PValue, 12);
        // Identical samples: t = 0, p = 1. One value, or no spread at all: no test.
        Assert.Equal(1, WelchTest.Compare([1.0, 2.0, 3.0], [3.0, 2.0, 1.0])!.Value.PValue, 12);
        Assert.Null(WelchTest.Compare([1.0], [1.0, 2.0]));
        Assert.Null(WelchTest.Compare([2.0, 2.0], [1.0, 1.0]));
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
        Assert.Contains("val_loss at each run's last logged step", text.Out);
        var rows = text.Out.Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.Contains(rows, r => r.StartsWith("base ", StringComparison.Ordinal) && r.Contains("2.1000 ± 0.1414") && r.EndsWith("10.0"));
        Assert.Contains(rows, r => r.StartsWith("single-run ", StringComparison.Ordinal) && r.Contains("-0.2000")
                                   && r.Contains("no test (needs 2+ runs in each group)"));
        Assert.Contains($"curves: {svg}", text.Out);

        var drawn = SvgAssert.Series(svg);
        Assert.Equal(["base (n=2)", "single-run"], drawn.Keys);
        Assert.Equal(3, drawn["base (n=2)"].LinePoints);
        Assert.Equal(6, drawn["base (n=2)"].BandPoints);   // upper edge forward, lower edge back
        Assert.Equal(0, drawn["single-run"].BandPoints);
        // Lower values are drawn higher up: the single run (lower loss) lies below... in SVG y, i.e. at a larger y.
        Assert.True(drawn["single-run"].Line[^1].Y > drawn["base (n=2)"].Line[^1].Y);

        var markdown = CliRun.Of("compare", $"base={a}", single, "--format", "markdown", "--baseline", "single-run");
        Assert.True(markdown.ExitCode == 0, markdown.Error);
        var lines = markdown.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("| label | runs | step |", lines[0]);
        Assert.StartsWith("|---|---:|", lines[1]);
        Assert.Contains("| single-run | 1 | 30 | 1.9000 | 1.9000 | - | - | baseline |", lines[3]);
    }

    [Fact]
    public void AResumedRunsLaterRecordsWinAndACutLastLineIsLeftOut()
    {
        using var dir = new TempDirectory();
        var file = dir.File("metrics.jsonl",
            "{\"step\":10,\"val_loss\":3.0}\n{\"step\":20,\"val_loss\":2.9}\n" +
            "{\"step\":20,\"val_loss\":2.5}\n\n{\"step\":30,\"val_loss\":2.4}\n{\"step\":40,\"val_lo");
        var log = MetricsLog.Load(file);
        Assert.Equal([(10L, 3.0), (20L, 2.5), (30L, 2.4)], log.Series("val_loss"));
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
        CliRun.Of("compare", good, "--metric", "accuracy").SingleErrorLine("--metric accuracy", "train_loss, val_loss, ms_per_iter");
        CliRun.Of("compare", good, "--baseline", "adamw").SingleErrorLine("--baseline 'adamw'", "good");
        CliRun.Of("compare", good, good).SingleErrorLine("two groups are labelled 'good'");
        CliRun.Of("compare", $"x={good}", "--svg", Path.Combine(dir.Path, "no", "such", "plot.svg")).SingleErrorLine("--svg", "does not exist");
        Assert.Equal(2, CliRun.Of("compare").ExitCode);
        Assert.Equal(2, CliRun.Of("compare", good, "--format", "csv").ExitCode);
    }
}
