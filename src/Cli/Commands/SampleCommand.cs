using System.CommandLine;
using Engine.Models.Checkpoints;
using Engine.Models.Sampling;
using Engine.Models.Text;

namespace Engine.Cli.Commands;

/// <summary><c>engine sample</c>: generates text from a checkpoint, streaming each token to standard output.</summary>
internal static class SampleCommand
{
    public static Command Create(CliSession session)
    {
        var checkpoint = CommonOptions.Checkpoint();
        var device = CommonOptions.Device();
        var defaults = new SampleOptions();
        var prompt = new Option<string>("--prompt") { Description = "text to continue (default: start from a newline)", DefaultValueFactory = _ => "" };
        var length = new Option<int>("--length") { Description = "tokens to generate", DefaultValueFactory = _ => defaults.MaxNewTokens };
        var temperature = new Option<float>("--temperature")
        {
            Description = "divides the logits; 0 always picks the most likely token",
            DefaultValueFactory = _ => defaults.Temperature,
        };
        var topK = new Option<int>("--top-k") { Description = "sample among the k most likely tokens (0: all)", DefaultValueFactory = _ => defaults.TopK };
        var seed = new Option<ulong>("--seed") { Description = "seed of the sampling", DefaultValueFactory = _ => defaults.Seed };
        var command = new Command("sample", "Generate text from a checkpoint.") { checkpoint, device, prompt, length, temperature, topK, seed };
        command.SetAction(result => Run(session, result.GetRequiredValue(checkpoint), result.GetRequiredValue(device),
            result.GetRequiredValue(prompt), new SampleOptions(result.GetValue(length), result.GetValue(temperature), result.GetValue(topK), result.GetValue(seed))));
        return command;
    }

    private static int Run(CliSession session, string checkpoint, string device, string prompt, SampleOptions options)
    {
        if (options.MaxNewTokens < 0) throw new UsageException($"--length must be >= 0 (got {options.MaxNewTokens})");
        if (!(options.Temperature >= 0) || float.IsInfinity(options.Temperature))
            throw new UsageException($"--temperature must be a finite number >= 0 (got {options.Temperature})");
        if (options.TopK < 0) throw new UsageException($"--top-k must be >= 0 (got {options.TopK}; 0 keeps every token)");
        using var loaded = CheckpointLocator.LoadModel(checkpoint, device, session);
        RequireEncodable(loaded.Tokenizer, prompt);
        // On standard error: standard output is the sample alone, for pipes.
        session.Error.WriteLine($"engine: sampling from checkpoint {CheckpointStore.Describe(checkpoint, loaded.Checkpoint)} " +
                                $"(step {loaded.Checkpoint.Manifest.Step})");
        session.Out.Write(prompt);
        TextGenerator.Generate(loaded.Model, loaded.Tokenizer, prompt, options, token =>
        {
            session.Cancellation.ThrowIfCancellationRequested();
            session.Out.Write(token);
            session.Out.Flush();
        });
        session.Out.WriteLine();
        return ExitCodes.Success;
    }

    private static void RequireEncodable(ITokenizer tokenizer, string prompt)
    {
        try
        {
            tokenizer.Encode(prompt);
        }
        catch (TokenizerException e)
        {
            throw new UsageException($"--prompt cannot be encoded with the checkpoint's tokenizer: {e.Message}");
        }
    }
}
