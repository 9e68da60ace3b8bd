using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Engine.Models.Checkpoints;

namespace Engine.Cli.Output;

/// <summary>One curve of a plot: a line through its points, and optionally a shaded band (e.g. the range over seeds).</summary>
internal sealed record PlotSeries(string Name, IReadOnlyList<(double X, double Y)> Line,
                                  IReadOnlyList<(double X, double Low, double High)>? Band = null);

/// <summary>
/// A line plot as a standalone SVG document (no script, no external style): axes with round-number ticks, a light
/// grid, one colour per series, shaded bands under the lines, a legend at the right. Non-finite points are skipped.
/// </summary>
internal static class SvgLinePlot
{
    private const double PlotWidth = 518, PlotHeight = 362;
    private const double Left = 72, Top = 42, Bottom = 56, LegendRow = 20;

    /// <summary>Approximate advance of a 12 px sans-serif character, to size the legend column to its longest name.</summary>
    private const double CharWidth = 7;
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    /// <summary>Matplotlib's default colour cycle (it repeats after ten series).</summary>
    private static readonly string[] Palette =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    public static XDocument Render(string title, string xLabel, string yLabel, IReadOnlyList<PlotSeries> series)
    {
        var clean = series.Select(s => s with
        {
            Line = s.Line.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList(),
            Band = s.Band?.Where(b => double.IsFinite(b.X) && double.IsFinite(b.Low) && double.IsFinite(b.High)).ToList(),
        }).ToList();
        var xs = clean.SelectMany(s => s.Line.Select(p => p.X).Concat(s.Band?.Select(b => b.X) ?? [])).ToList();
        var ys = clean.SelectMany(s => s.Line.Select(p => p.Y).Concat(s.Band?.SelectMany(b => new[] { b.Low, b.High }) ?? [])).ToList();
        var xAxis = Axis.Fit(xs);
        var yAxis = Axis.Fit(ys);
        double width = Left + PlotWidth + 60 + CharWidth * clean.Select(s => s.Name.Length).Append(10).Max();
        double height = Math.Max(Top + PlotHeight + Bottom, Top + 10 + LegendRow * clean.Count);
        double X(double x) => Left + (x - xAxis.Low) / (xAxis.High - xAxis.Low) * PlotWidth;
        double Y(double y) => Top + PlotHeight - (y - yAxis.Low) / (yAxis.High - yAxis.Low) * PlotHeight;

        var root = new XElement(Svg + "svg",
            new XAttribute("width", N(width)), new XAttribute("height", N(height)),
            new XAttribute("viewBox", $"0 0 {N(width)} {N(height)}"),
            new XAttribute("font-family", "sans-serif"), new XAttribute("font-size", 12),
            new XElement(Svg + "rect", new XAttribute("width", N(width)), new XAttribute("height", N(height)), new XAttribute("fill", "white")),
            Text(Left + PlotWidth / 2, 24, title, "middle", 15));

        foreach (var t in xAxis.Ticks)
        {
            root.Add(Line(X(t), Top, X(t), Top + PlotHeight, "#e5e5e5"));
            root.Add(Text(X(t), Top + PlotHeight + 18, xAxis.Format(t), "middle"));
        }
        foreach (var t in yAxis.Ticks)
        {
            root.Add(Line(Left, Y(t), Left + PlotWidth, Y(t), "#e5e5e5"));
            root.Add(Text(Left - 8, Y(t) + 4, yAxis.Format(t), "end"));
        }
        root.Add(new XElement(Svg + "rect", new XAttribute("x", N(Left)), new XAttribute("y", N(Top)),
            new XAttribute("width", N(PlotWidth)), new XAttribute("height", N(PlotHeight)),
            new XAttribute("fill", "none"), new XAttribute("stroke", "#333")));
        root.Add(Text(Left + PlotWidth / 2, Top + PlotHeight + Bottom - 14, xLabel, "middle"));
        var yTitle = Text(18, Top + PlotHeight / 2, yLabel, "middle");
        yTitle.Add(new XAttribute("transform", $"rotate(-90 18 {N(Top + PlotHeight / 2)})"));
        root.Add(yTitle);

        for (int i = 0; i < clean.Count; i++)
        {
            var s = clean[i];
            var colour = Palette[i % Palette.Length];
            var group = new XElement(Svg + "g", new XAttribute("class", "series"), new XAttribute("data-name", XmlSafe(s.Name)));
            if (s.Band is { Count: > 1 } band)
            {
                var outline = band.Select(b => (b.X, b.High)).Concat(band.AsEnumerable().Reverse().Select(b => (b.X, b.Low)));
                group.Add(new XElement(Svg + "polygon", new XAttribute("points", Points(outline, X, Y)),
                    new XAttribute("fill", colour), new XAttribute("fill-opacity", "0.18"), new XAttribute("stroke", "none")));
            }
            if (s.Line.Count == 1)
                group.Add(new XElement(Svg + "circle", new XAttribute("cx", N(X(s.Line[0].X))), new XAttribute("cy", N(Y(s.Line[0].Y))),
                    new XAttribute("r", 3), new XAttribute("fill", colour)));
            else if (s.Line.Count > 1)
                group.Add(new XElement(Svg + "polyline", new XAttribute("points", Points(s.Line, X, Y)),
                    new XAttribute("fill", "none"), new XAttribute("stroke", colour), new XAttribute("stroke-width", "1.6")));
            root.Add(group);

            double ly = Top + 10 + i * LegendRow, lx = Left + PlotWidth;
            root.Add(Line(lx + 16, ly, lx + 40, ly, colour, 2.5));
            root.Add(Text(lx + 46, ly + 4, s.Name, "start"));
        }
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root);
    }

    /// <summary>Writes <paramref name="plot"/> to <paramref name="path"/> atomically (a reader never sees half a file).</summary>
    public static void Save(XDocument plot, string path) =>
        AtomicFile.Write(path, Encoding.UTF8.GetBytes(plot.Declaration + "\n" + plot.Root + "\n"));

    private static string Points(IEnumerable<(double X, double Y)> points, Func<double, double> x, Func<double, double> y) =>
        string.Join(" ", points.Select(p => $"{N(x(p.X))},{N(y(p.Y))}"));

    private static XElement Line(double x1, double y1, double x2, double y2, string colour, double width = 1) =>
        new(Svg + "line", new XAttribute("x1", N(x1)), new XAttribute("y1", N(y1)), new XAttribute("x2", N(x2)),
            new XAttribute("y2", N(y2)), new XAttribute("stroke", colour), new XAttribute("stroke-width", N(width)));

    /// <summary>A label; characters XML cannot carry (control characters in a run's name) are dropped.</summary>
    private static XElement Text(double x, double y, string text, string anchor, double size = 12) =>
        new(Svg + "text", new XAttribute("x", N(x)), new XAttribute("y", N(y)), new XAttribute("text-anchor", anchor),
            new XAttribute("font-size", N(size)), XmlSafe(text));

    private static string XmlSafe(string text) => new(text.Where(XmlConvert.IsXmlChar).ToArray());

    private static string N(double v) => Math.Round(v, 2).ToString(CultureInfo.InvariantCulture);

    /// <summary>An axis range with round ends and ticks every 1, 2 or 5 × 10^k, about six of them.</summary>
    private sealed record Axis(double Low, double High, double Step)
    {
        public IEnumerable<double> Ticks
        {
            get
            {
                int count = (int)Math.Round((High - Low) / Step);
                for (int i = 0; i <= count; i++) yield return Low + i * Step;
            }
        }

        public string Format(double value)
        {
            int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(Step) + 1e-9));
            return Math.Round(value, decimals).ToString("F" + decimals, CultureInfo.InvariantCulture);
        }

        public static Axis Fit(IReadOnlyCollection<double> values)
        {
            double low = values.Count > 0 ? values.Min() : 0, high = values.Count > 0 ? values.Max() : 1;
            if (high - low <= Math.Abs(high) * 1e-12) { low -= Math.Max(1, Math.Abs(low)) * 0.05; high += Math.Max(1, Math.Abs(high)) * 0.05; }
            double raw = (high - low) / 6, magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
            double step = (raw / magnitude) switch { < 1.5 => 1, < 3 => 2, < 7 => 5, _ => 10 } * magnitude;
            return new Axis(Math.Floor(low / step) * step, Math.Ceiling(high / step) * step, step);
        }
    }
}
