using Engine.Autograd;
using Engine.Models.Data;
using Engine.Models.Gpt;
using Engine.Models.Text;
using Engine.Tensors;

namespace Engine.Models.Sampling;

/// <summary>Which tokens of a data file <see cref="Evaluator"/> scores.</summary>
public enum EvalSplit
{
    /// <summary>The last 10% of the tokens: the validation split a training run on the same file held out.</summary>
    Val,

    /// <summary>Every token of the file (for a held-out file of its own).</summary>
    All,
}

/// <summary>The mean next-token loss over <paramref name="Tokens"/> predicted tokens.</summary>
public sealed record EvalResult(double Loss, long Tokens)
{
    public double Perplexity => Math.Exp(Loss);
}

/// <summary>
/// Scores a model on a text file: the split's tokens are cut into consecutive windows of the context length (block
/// size by default; the tail as a shorter window), every position predicts its next token, and the loss is the mean
/// over all predictions. Unlike a training run's sampled estimate, this covers every token exactly once, so it is
/// deterministic. A context shorter than the block size gives METHODS §5.2's perplexity at that context length: a
/// window's first prediction sees one token, its last <c>context</c>.
/// </summary>
public static class Evaluator
{
    /// <exception cref="DataException">The file is missing, unreadable or not UTF-8, or the split has fewer than 2 tokens.</exception>
    /// <exception cref="TokenizerException">The text holds something the model's tokenizer cannot encode.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="context"/> is not in [1, block size].</exception>
    public static EvalResult Evaluate(TrainedModel trained, string dataPath, EvalSplit split = EvalSplit.Val, int batchSize = 16, int? context = null)
    {
        ArgumentNullException.ThrowIfNull(trained);
        var tokens = trained.Tokenizer.Encode(TextCorpus.Load(dataPath).Text);
        var dataset = TokenDataset.FromTokens(tokens);
        var scored = split == EvalSplit.Val ? dataset.Val : tokens.AsMemory();
        return Evaluate(trained.Model, scored, batchSize, context);
    }

    /// <summary>
    /// Mean loss of predicting tokens[i + 1] from the tokens before it in its window of <paramref name="context"/>
    /// tokens (default: the model's block size), over the whole sequence.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="context"/> is not in [1, block size].</exception>
    public static EvalResult Evaluate(GptModel model, ReadOnlyMemory<int> tokens, int batchSize = 16, int? context = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int block = context ?? model.Config.BlockSize;
        ArgumentOutOfRangeException.ThrowIfLessThan(block, 1, nameof(context));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(block, model.Config.BlockSize, nameof(context));
        if (tokens.Length < 2)
            throw new DataException($"evaluation needs at least 2 tokens (one prediction); got {tokens.Length}");
        long predictions = tokens.Length - 1;
        long fullWindows = predictions / block;
        int tail = (int)(predictions % block);
        double sum = 0;
        using var noGrad = new NoGradScope();
        for (long first = 0; first < fullWindows; first += batchSize)
        {
            int rows = (int)Math.Min(batchSize, fullWindows - first);
            sum += WindowLoss(model, tokens.Span, first * block, rows, block);
        }
        if (tail > 0) sum += WindowLoss(model, tokens.Span, fullWindows * block, 1, tail);
        return new EvalResult(sum / predictions, predictions);
    }

    /// <summary>Summed loss of <paramref name="rows"/> consecutive windows of <paramref name="length"/> starting at <paramref name="start"/>.</summary>
    private static double WindowLoss(GptModel model, ReadOnlySpan<int> tokens, long start, int rows, int length)
    {
        var inputs = new int[rows * length];
        var targets = new int[rows * length];
        for (int r = 0; r < rows; r++)
        {
            int at = checked((int)(start + (long)r * length));
            tokens.Slice(at, length).CopyTo(inputs.AsSpan(r * length));
            tokens.Slice(at + 1, length).CopyTo(targets.AsSpan(r * length));
        }
        using var scope = new TensorScope();
        var loss = model.Loss(Tensor.FromArray(model.Device, inputs, rows, length), Tensor.FromArray(model.Device, targets, rows, length));
        return loss.Value.Item() * inputs.Length;
    }
}
