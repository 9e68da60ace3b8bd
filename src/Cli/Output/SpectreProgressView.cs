using Engine.Models.Training;
using Spectre.Console;

namespace Engine.Cli.Output;

/// <summary>A live Spectre.Console progress bar whose description carries the latest step's figures.</summary>
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
            task.Description = Markup.Escape(Describe(metrics, firstStep));
            if (metrics.ValLoss is not null) console.MarkupLine($"[grey]{Markup.Escape(Describe(metrics, firstStep))}[/]");
        }

        public void Note(string line) => console.MarkupLine(Markup.Escape(line));
    }
}
