using Engine.Models.Training;

namespace Engine.Cli.Output;

/// <summary>Receives a run's logged steps and its notes (resumed from, checkpoint saved, ...).</summary>
public interface IProgressSink
{
    void Step(TrainProgress metrics);

    void Note(string line);
}
