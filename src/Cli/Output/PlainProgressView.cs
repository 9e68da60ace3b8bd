using Engine.Models.Training;

namespace Engine.Cli.Output;

/// <summary>One line per logged step and per note, for pipes, files and CI logs.</summary>
internal sealed class PlainProgressView(TextWriter output) : ProgressView
{
    public override T Run<T>(long firstStep, long totalSteps, Func<IProgressSink, T> body) => body(new Sink(output, firstStep));

    private sealed class Sink(TextWriter output, long firstStep) : IProgressSink
    {
        public void Step(TrainProgress metrics)
        {
            output.WriteLine(Describe(metrics, firstStep));
            output.Flush();
        }

        public void Note(string line)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }
}
