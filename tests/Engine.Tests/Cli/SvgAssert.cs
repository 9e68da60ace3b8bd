using System.Globalization;
using System.Xml.Linq;
using Xunit;

namespace Engine.Tests.Cli;

/// <summary>Reads back an SVG written by the program: it must parse as XML; returns what each series drew.</summary>
internal static class SvgAssert
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    public sealed record Drawn(int LinePoints, int BandPoints, IReadOnlyList<(double X, double Y)> Line);

    public static Dictionary<string, Drawn> Series(string path)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        var root = XDocument.Load(path).Root!;
        Assert.Equal(Svg + "svg", root.Name);
        // The plot frame: the one rectangle drawn with an outline. Every point of a curve or band lies inside it.
        var frame = root.Elements(Svg + "rect").Single(r => (string?)r.Attribute("stroke") is not null);
        double left = D(frame.Attribute("x")!.Value), top = D(frame.Attribute("y")!.Value);
        double right = left + D(frame.Attribute("width")!.Value), bottom = top + D(frame.Attribute("height")!.Value);
        var result = new Dictionary<string, Drawn>();
        foreach (var group in root.Elements(Svg + "g").Where(g => (string?)g.Attribute("class") == "series"))
        {
            var line = group.Element(Svg + "polyline") is { } polyline ? Points(polyline)
                : group.Element(Svg + "circle") is { } dot ? [(D(dot.Attribute("cx")!.Value), D(dot.Attribute("cy")!.Value))]
                : [];
            var band = group.Element(Svg + "polygon") is { } polygon ? Points(polygon) : [];
            foreach (var (x, y) in line.Concat(band))
                Assert.True(x >= left && x <= right && y >= top && y <= bottom, $"point ({x}, {y}) outside the plot frame");
            result.Add(group.Attribute("data-name")!.Value, new Drawn(line.Count, band.Count, line));
        }
        return result;
    }

    private static double D(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    private static List<(double X, double Y)> Points(XElement element) =>
        element.Attribute("points")!.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split(',')).Select(p => (D(p[0]), D(p[1]))).ToList();
}
