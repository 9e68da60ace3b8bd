using System.Globalization;
using Engine.Models.Training;
using Spectre.Console;

namespace Engine.Cli.Output;

/// <summary>
/// A live Spectre.Console progress bar (step, loss, tokens/s, bar, percentage, ETA); evaluation steps also leave a
/// full line above it.
/// </summary>
internal sealed class SpectreProgressView(TextWriter output) : ProgressView
{
    public override T Run<T>(long firstStep, long totalSteps, Func<IProgressSink, T> body)
    {
        var console = TerminalConsole.Create(output);
        return console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask($"step {firstStep}/{totalSteps}", maxValue: Math.Max(1, totalSteps));
                task.Value = firstStep;
                return body(new Sink(console, task, firstStep));
            });
    }

    private sealed class Sink(IAnsiConsole console, ProgressTask task, long firstStep) : IProgressSink
    {
        public void Step(TrainProgress metrics)
        {
            task.Value = metrics.Step;
            // Short enough to leave room for the bar on an 80-column terminal; the remaining-time column is the ETA.
            task.Description = string.Create(CultureInfo.InvariantCulture,
                $"step {metrics.Step}/{metrics.MaxIters}  loss {metrics.TrainLoss:F4}  {metrics.TokensPerSecond:N0} tok/s");
            if (metrics.ValLoss is not null) console.MarkupLine($"[grey]{Markup.Escape(Describe(metrics, firstStep))}[/]");
        }

        public void Note(string line) => console.MarkupLine(Markup.Escape(line));
    }
}
