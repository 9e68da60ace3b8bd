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
    /// for a block) with the data file, or with "generated corpus".
    /// </summary>
    public static T Naming<T>(TrainConfig config, Func<T> load) => Naming(config.Data ?? "generated corpus", load);

    /// <inheritdoc cref="Naming{T}(TrainConfig, Func{T})"/>
    public static T Naming<T>(TextCorpus corpus, Func<T> load) => Naming(corpus.Source, load);

    private static T Naming<T>(string source, Func<T> load)
    {
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
