using System.CommandLine;
using System.Globalization;
using Engine.Autograd;
using Engine.Models.Data;
using Engine.Models.Text;
using Engine.Tensors;

namespace Engine.Cli.Commands;

/// <summary>
/// <c>engine eval</c>: the mean loss of a checkpoint's model on random blocks of a text's validation split (the last
/// 10%, as in training), tokenized with the checkpoint's tokenizer.
/// </summary>
internal static class EvalCommand
{
    public static Command Create(CliSession session)
    {
        var checkpoint = CommonOptions.Checkpoint();
        var device = CommonOptions.Device();
        var data = new Option<string>("--data") { Description = "UTF-8 text to evaluate on (default: the checkpoint's training data)" };
        var split = new Option<string>("--split")
        {
            Description = "which part of the text: val (last 10%) | train (first 90%)",
            DefaultValueFactory = _ => "val",
        };
        split.AcceptOnlyFromAmong("val", "train");
        var iters = new Option<int?>("--iters") { Description = "batches to average (default: the checkpoint's --eval-iters)" };
        var batchSize = new Option<int?>("--batch-size") { Description = "sequences per batch (default: the checkpoint's)" };
        var seed = new Option<ulong>("--seed") { Description = "seed of the batch positions", DefaultValueFactory = _ => 1 };
        var command = new Command("eval", "Mean loss of a checkpoint on a text file.") { checkpoint, device, data, split, iters, batchSize, seed };
        command.SetAction(result => Run(session, new Request(
            result.GetRequiredValue(checkpoint), result.GetRequiredValue(device), result.GetValue(data),
            result.GetRequiredValue(split) == "train" ? DataSplit.Train : DataSplit.Val,
            result.GetValue(iters), result.GetValue(batchSize), result.GetValue(seed))));
        return command;
    }

    private sealed record Request(string Checkpoint, string Device, string? Data, DataSplit Split, int? Iters, int? BatchSize, ulong Seed);

    private static int Run(CliSession session, Request request)
    {
        if (request.Iters is < 1) throw new UsageException($"--iters must be > 0 (got {request.Iters})");
        if (request.BatchSize is < 1) throw new UsageException($"--batch-size must be > 0 (got {request.BatchSize})");
        using var loaded = CheckpointModel.Load(request.Checkpoint, request.Device);
        var trained = loaded.TrainConfig;
        var corpus = request.Data is { } path ? TextCorpus.Load(path) : TrainingCorpus.Load(trained);
        var dataset = TokenDataset.FromTokens(EncodeOrExplain(loaded.Tokenizer, corpus));
        int blockSize = loaded.Model.Config.BlockSize, batchSize = request.BatchSize ?? trained.BatchSize, iters = request.Iters ?? trained.EvalIters;
        TrainingCorpus.RequireBlock(corpus, dataset, blockSize);
        var sampler = dataset.CreateSampler(request.Split, blockSize, batchSize, request.Seed);
        double loss = MeanLoss(loaded, sampler, iters);
        session.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{SplitName(request.Split)} loss {loss:F4} (perplexity {Math.Exp(loss):F2}) of checkpoint {loaded.Path} " +
            $"(step {loaded.Checkpoint.Manifest.Step}) on {corpus.Source}: {iters} batches of {batchSize}x{blockSize} tokens"));
        return ExitCodes.Success;
    }

    private static double MeanLoss(CheckpointModel loaded, BlockSampler sampler, int iters)
    {
        var device = loaded.Model.Device;
        var inputs = new int[sampler.BatchSize * sampler.BlockSize];
        var targets = new int[inputs.Length];
        double sum = 0;
        using var noGrad = new NoGradScope();
        for (int i = 0; i < iters; i++)
        {
            sampler.Next(inputs, targets);
            using var scope = new TensorScope();
            sum += loaded.Model.Loss(Tensor.FromArray(device, inputs, sampler.BatchSize, sampler.BlockSize),
                Tensor.FromArray(device, targets, sampler.BatchSize, sampler.BlockSize)).Value.Item();
        }
        return sum / iters;
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

    private static string SplitName(DataSplit split) => split == DataSplit.Train ? "train" : "val";
}
