using Engine.Models.Config;
using Engine.Models.Data;
using Engine.Models.Text;

namespace Engine.Models.Training;

/// <summary>
/// The text of a run, its tokenizer and its token split: the 90/10 split of the text, or all of it for training when
/// the run names a validation text of its own (<see cref="TrainConfig.ValData"/>). The tokenizer is trained (BPE merges
/// on the training text only, so they never see validation text), or rebuilt from a checkpoint's spec.
/// </summary>
public sealed class TrainingData
{
    private TrainingData(TextCorpus corpus, ITokenizer tokenizer, TokenDataset dataset, string valSource)
    {
        Corpus = corpus;
        Tokenizer = tokenizer;
        Dataset = dataset;
        ValSource = valSource;
    }

    public TextCorpus Corpus { get; }
    public ITokenizer Tokenizer { get; }
    public TokenDataset Dataset { get; }

    /// <summary>Where the validation tokens come from: "the last 10% of SOURCE" or the validation file.</summary>
    public string ValSource { get; }

    /// <summary>The text of <paramref name="config"/>.Data, or the built-in generated corpus when it is null.</summary>
    /// <exception cref="DataException">The file is missing, unreadable, empty or not UTF-8.</exception>
    public static TextCorpus LoadCorpus(TrainConfig config) =>
        config.Data is { } path ? TextCorpus.Load(path) : GeneratedCorpus.Create();

    /// <summary>
    /// Loads the text (and the validation text, if any), builds the tokenizer (from <paramref name="tokenizer"/> when
    /// given, else trained as <paramref name="config"/> says), encodes and splits; both splits must hold a block plus
    /// its target.
    /// </summary>
    /// <exception cref="DataException">Unusable text, or a split shorter than block size + 1 tokens; each names the text.</exception>
    /// <exception cref="TokenizerException">The training text holds something the given tokenizer cannot encode (the
    /// validation text's errors are <see cref="DataException"/>s naming --val-data).</exception>
    public static TrainingData Load(TrainConfig config, TokenizerSpec? tokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var corpus = LoadCorpus(config);
        var valPath = config.ValData;
        var valText = valPath is null ? null : DataException.Naming($"--val-data {valPath}", () => TextCorpus.Load(valPath).Text);
        var tok = tokenizer is not null ? Text.Tokenizer.FromSpec(tokenizer) : Train(config, corpus.Text, valText);
        var tokens = tok.Encode(corpus.Text);
        if (valPath is null)
        {
            var dataset = TokenDataset.FromTokens(tokens);
            DataException.Naming(corpus.Source, () => dataset.RequireBlockSize(config.BlockSize));
            return new TrainingData(corpus, tok, dataset, $"the last 10% of {corpus.Source}");
        }
        DataException.Naming(corpus.Source, () => BlockSampler.RequireLength(tokens.Length, DataSplit.Train, config.BlockSize));
        var valTokens = DataException.Naming($"--val-data {valPath}", () => Encode(valText!, tok, config, corpus));
        DataException.Naming($"--val-data {valPath}", () => BlockSampler.RequireLength(valTokens.Length, DataSplit.Val, config.BlockSize));
        return new TrainingData(corpus, tok, TokenDataset.FromSplits(tokens, valTokens), valPath);
    }

    private static int[] Encode(string text, ITokenizer tokenizer, TrainConfig config, TextCorpus corpus)
    {
        try
        {
            return tokenizer.Encode(text);
        }
        catch (TokenizerException e)
        {
            throw new DataException($"it cannot be encoded with the run's tokenizer (built from {config.InitFrom ?? corpus.Source}): {e.Message}");
        }
    }

    /// <summary>
    /// A char vocabulary lists every symbol of the texts the run reads (the training text and the validation text or
    /// part); BPE merges are learnt from the training text only.
    /// </summary>
    private static ITokenizer Train(TrainConfig config, string text, string? valText) => config.Tokenizer switch
    {
        "char" => CharTokenizer.Train(valText is null ? text : text + valText),
        "bpe" => ByteBpeTokenizer.Train(valText is null ? TrainingPart(text) : text, config.BpeVocab),
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
