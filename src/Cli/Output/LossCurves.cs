using Engine.Cli.Comparison;
using Engine.Models.Data;

namespace Engine.Cli.Output;

/// <summary>The plot <c>engine train</c> leaves beside its metrics: train and val loss by step, read back from metrics.jsonl.</summary>
internal static class LossCurves
{
    public const string FileName = "loss.svg";

    /// <summary>
    /// Writes the curves of <paramref name="metricsPath"/> to <paramref name="svgPath"/>; returns the line to print: where
    /// they are, or why there are none (the training itself went well, so an unreadable log is reported, not thrown).
    /// </summary>
    public static string Write(string metricsPath, string svgPath, string title)
    {
        MetricsLog log;
        try
        {
            log = MetricsLog.Load(metricsPath);
        }
        catch (DataException e)
        {
            return $"curves: not written ({e.Message})";
        }
        var series = new[] { "train_loss", "val_loss" }
            .Select(metric => new PlotSeries(metric, log.Series(metric).Select(p => ((double)p.Step, p.Value)).ToList()))
            .Where(s => s.Line.Count > 0).ToList();
        if (series.Count == 0) return $"curves: not written ({metricsPath} has no finite loss)";
        try
        {
            SvgLinePlot.Save(SvgLinePlot.Render(title, "step", "loss", series), svgPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"curves: not written ({svgPath}: {e.Message})";
        }
        return $"curves: {svgPath}";
    }
}
