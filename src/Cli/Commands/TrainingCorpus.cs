using Engine.Models.Config;
using Engine.Models.Data;
using Engine.Models.Training;

namespace Engine.Cli.Commands;

/// <summary>The text a configuration names, and data errors that say which text they are about.</summary>
internal static class TrainingCorpus
{
    /// <summary>The file of <c>config.Data</c>, or the generated corpus.</summary>
    public static TextCorpus Load(TrainConfig config) => TrainingData.LoadCorpus(config);

    /// <summary>Checks both splits hold one block plus its target, naming the text when they do not.</summary>
    /// <exception cref="DataException">A split is too short.</exception>
    public static void RequireBlock(TextCorpus corpus, TokenDataset dataset, int blockSize)
    {
        try
        {
            dataset.RequireBlockSize(blockSize);
        }
        catch (DataException e)
        {
            throw new DataException($"{corpus.Source}: {e.Message}");
        }
    }

    /// <summary>
    /// Runs <paramref name="load"/>, prefixing data errors that do not say which text they concern (a split too short
    /// for a block) with the data file, or with "generated corpus".
    /// </summary>
    public static T Naming<T>(TrainConfig config, Func<T> load)
    {
        var source = config.Data ?? "generated corpus";
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
