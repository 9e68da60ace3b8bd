using Engine.Models.Config;
using Engine.Models.Data;
using Engine.Models.Training;

namespace Engine.Cli.Commands;

/// <summary>The text a configuration names, and data errors that say which text they are about.</summary>
internal static class TrainingCorpus
{
    /// <summary>The file of <c>config.Data</c>, or the generated corpus.</summary>
    public static TextCorpus Load(TrainConfig config) => TrainingData.LoadCorpus(config);

    /// <summary>
    /// Runs <paramref name="load"/>, prefixing data errors that do not say which text they concern (a split too short
    /// for a block) with the corpus's source. (The trainer names its texts itself, --data's and --source's.)
    /// </summary>
    public static T Naming<T>(TextCorpus corpus, Func<T> load)
    {
        var source = corpus.Source;
        try
        {
            return load();
        }
        catch (DataException e) when (!e.Message.Contains(source, StringComparison.Ordinal))
        {
            throw new DataException($"{source}: {e.Message}");
        }
    }
}
