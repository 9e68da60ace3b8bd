using Engine.Models.Config;
using Engine.Models.Data;
using Engine.Models.Text;

namespace Engine.Models.Training;

/// <summary>
/// The text of a run, its tokenizer and the 90/10 token split. The tokenizer is trained on the training part of the
/// text (for BPE, so merges never see validation text), or rebuilt from a checkpoint's spec when resuming.
/// </summary>
public sealed class TrainingData
{
    private TrainingData(TextCorpus corpus, ITokenizer tokenizer, TokenDataset dataset)
    {
        Corpus = corpus;
        Tokenizer = tokenizer;
        Dataset = dataset;
    }

    public TextCorpus Corpus { get; }
    public ITokenizer Tokenizer { get; }
    public TokenDataset Dataset { get; }

    /// <summary>The text of <paramref name="config"/>.Data, or the built-in generated corpus when it is null.</summary>
    /// <exception cref="DataException">The file is missing, unreadable, empty or not UTF-8.</exception>
    public static TextCorpus LoadCorpus(TrainConfig config) =>
        config.Data is { } path ? TextCorpus.Load(path) : GeneratedCorpus.Create();

    /// <summary>
    /// Loads the text, builds the tokenizer (from <paramref name="tokenizer"/> when given, else trained as
    /// <paramref name="config"/> says), encodes it and splits it; both splits must hold a block plus its target.
    /// </summary>
    /// <exception cref="DataException">Unusable text, or a split shorter than block size + 1 tokens; each names the text.</exception>
    /// <exception cref="TokenizerException">The text holds something the given tokenizer cannot encode.</exception>
    public static TrainingData Load(TrainConfig config, TokenizerSpec? tokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var corpus = LoadCorpus(config);
        var tok = tokenizer is not null ? Text.Tokenizer.FromSpec(tokenizer) : Train(config, corpus.Text);
        var dataset = TokenDataset.FromTokens(tok.Encode(corpus.Text));
        try
        {
            dataset.RequireBlockSize(config.BlockSize);
        }
        catch (DataException e)
        {
            throw new DataException($"{corpus.Source}: {e.Message}");
        }
        return new TrainingData(corpus, tok, dataset);
    }

    private static ITokenizer Train(TrainConfig config, string text) => config.Tokenizer switch
    {
        "char" => CharTokenizer.Train(text),
        "bpe" => ByteBpeTokenizer.Train(TrainingPart(text), config.BpeVocab),
        _ => throw new ArgumentException($"--tokenizer must be char or bpe (got '{config.Tokenizer}')"),
    };

    /// <summary>The first 90% of the characters (never splitting a surrogate pair).</summary>
    private static string TrainingPart(string text)
    {
        int end = (int)(text.Length * 9L / 10);
        if (end > 0 && char.IsHighSurrogate(text[end - 1])) end--;
        return text[..end];
    }
}
