using System.CommandLine;
using System.Globalization;
using Engine.Models.Checkpoints;
using Engine.Models.Data;
using Engine.Models.Sampling;
using Engine.Models.Text;
using Engine.Models.Training;

namespace Engine.Cli.Commands;

/// <summary>
/// <c>engine eval</c>: the mean next-token loss of a checkpoint's model over every token of a text's validation split
/// (its last 10%, what training held out) or of the whole text, tokenized with the checkpoint's tokenizer. Without
/// --data it scores what the run validated on: the last 10% of its training text, or all of its --val-data file.
/// </summary>
internal static class EvalCommand
{
    public static Command Create(CliSession session)
    {
        var checkpoint = CommonOptions.Checkpoint();
        var device = CommonOptions.Device();
        var data = new Option<string>("--data") { Description = "UTF-8 text to evaluate on (default: the checkpoint's training data)" }.RejectingEmpty();
        var split = new Option<string>("--split")
        {
            Description = "val: the last 10% (held out in training; without --data, all of the run's --val-data file if it had one) | all: the whole text (use it to score a --val-data file named with --data)",
            DefaultValueFactory = _ => "val",
        };
        split.AcceptOnlyFromAmong("val", "all");
        var batchSize = new Option<int>("--batch-size") { Description = "windows per forward pass", DefaultValueFactory = _ => 16 };
        var context = new Option<int?>("--context")
        {
            Description = "tokens per window, at most the model's block size (default: the block size); the windows do not overlap, so the loss is the mean over predictions that see 1 to N tokens",
        };
        var command = new Command("eval", "Mean loss of a checkpoint on a text file.") { checkpoint, device, data, split, batchSize, context };
        command.SetAction(result => Run(session, result.GetRequiredValue(checkpoint), result.GetRequiredValue(device), result.GetValue(data),
            result.GetRequiredValue(split) == "all" ? EvalSplit.All : EvalSplit.Val, result.GetValue(batchSize), result.GetValue(context)));
        return command;
    }

    private static int Run(CliSession session, string checkpoint, string device, string? data, EvalSplit split, int batchSize, int? context)
    {
        if (batchSize < 1) throw new UsageException($"--batch-size must be > 0 (got {batchSize})");
        if (context < 1) throw new UsageException($"--context must be > 0 (got {context})");
        using var trained = CheckpointLocator.LoadModel(checkpoint, device, session);
        int blockSize = trained.Model.Config.BlockSize;
        if (context > blockSize)
            throw new UsageException($"--context {context} exceeds the model's block size {blockSize} (checkpoint {CheckpointStore.Describe(checkpoint, trained.Checkpoint)})");
        var config = data is null ? CheckpointLocator.TrainConfigOf(trained.Checkpoint) : null;
        // A run that validated on a file of its own held none of its training text out: its val split is that file.
        bool wholeFile = split == EvalSplit.All || config?.ValData is not null;
        var corpus = data is { } path ? TextCorpus.Load(path)
            : config!.ValData is { } valData && split == EvalSplit.Val ? TextCorpus.Load(valData)
            : TrainingData.LoadCorpus(config);
        var tokens = EncodeOrExplain(trained.Tokenizer, corpus);
        var scored = wholeFile ? tokens : TokenDataset.FromTokens(tokens).Val;
        var result = DataException.Naming(corpus.Source, () => Evaluator.Evaluate(trained.Model, scored, batchSize, context));
        session.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(split == EvalSplit.Val ? "val" : "all")} loss {result.Loss:F4} (perplexity {result.Perplexity:F2}) over {result.Tokens:N0} tokens " +
            $"of {corpus.Source} (context {context ?? blockSize}); checkpoint {CheckpointStore.Describe(checkpoint, trained.Checkpoint)} (step {trained.Checkpoint.Manifest.Step})"));
        return ExitCodes.Success;
    }

    private static int[] EncodeOrExplain(ITokenizer tokenizer, TextCorpus corpus)
    {
        try
        {
            return tokenizer.Encode(corpus.Text);
        }
        catch (TokenizerException e)
        {
            throw new DataException($"{corpus.Source} cannot be encoded with the checkpoint's tokenizer: {e.Message}");
        }
    }
}
