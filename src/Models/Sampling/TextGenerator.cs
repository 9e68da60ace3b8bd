using Engine.Autograd;
using Engine.Models.Data;
using Engine.Models.Gpt;
using Engine.Models.Text;
using Engine.Tensors;

namespace Engine.Models.Sampling;

/// <summary>
/// nanoGPT's generate(): feed the last block-size tokens, take the last position's logits, divide by the temperature,
/// keep the top k, sample from the softmax, append, repeat. The softmax and the draw run on the host in double with a
/// seeded xoshiro256** generator, so a seed gives the same text on every backend whose logits agree.
/// </summary>
public static class TextGenerator
{
    /// <summary>
    /// The prompt followed by <see cref="SampleOptions.MaxNewTokens"/> generated tokens, decoded. An empty prompt
    /// starts from a newline (as nanoGPT's sample.py), or from token 0 when the tokenizer has no newline.
    /// <paramref name="onToken"/> receives each generated token's text as it is produced.
    /// </summary>
    public static string Generate(GptModel model, ITokenizer tokenizer, string prompt, SampleOptions options, Action<string>? onToken = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var ids = new List<int>(Start(tokenizer, prompt));
        var rng = new Xoshiro256StarStar(options.Seed);
        using var noGrad = new NoGradScope();
        for (int n = 0; n < options.MaxNewTokens; n++)
        {
            int next = Pick(LastLogits(model, ids), options, rng);
            ids.Add(next);
            onToken?.Invoke(tokenizer.Decode([next]));
        }
        return tokenizer.Decode(ids.ToArray());
    }

    private static int[] Start(ITokenizer tokenizer, string prompt)
    {
        if (prompt.Length > 0) return tokenizer.Encode(prompt);
        try
        {
            var newline = tokenizer.Encode("\n");
            if (newline.Length > 0) return newline;
        }
        catch (TokenizerException)
        {
            // a vocabulary without a newline: fall through to token 0
        }
        return [0];
    }

    private static float[] LastLogits(GptModel model, List<int> ids)
    {
        int t = Math.Min(ids.Count, model.Config.BlockSize);
        var context = ids.GetRange(ids.Count - t, t).ToArray();
        using var scope = new TensorScope();
        var tokens = Tensor.FromArray(model.Device, context, 1, t);
        return model.ForwardLast(tokens).Value.ToArray();
    }

    /// <summary>The next token from one row of logits.</summary>
    internal static int Pick(float[] logits, SampleOptions options, Xoshiro256StarStar rng)
    {
        if (options.Temperature == 0) return ArgMax(logits);
        var scaled = logits.Select(l => (double)l / options.Temperature).ToArray();
        if (options.TopK > 0 && options.TopK < scaled.Length)
        {
            double threshold = scaled.OrderByDescending(x => x).ElementAt(options.TopK - 1);
            for (int i = 0; i < scaled.Length; i++)
                if (scaled[i] < threshold) scaled[i] = double.NegativeInfinity;
        }
        double max = scaled.Max();
        var weights = scaled.Select(x => Math.Exp(x - max)).ToArray();
        double u = rng.NextDouble() * weights.Sum();
        double cumulative = 0;
        int last = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] == 0) continue;
            last = i;
            cumulative += weights[i];
            if (u < cumulative) return i;
        }
        return last;
    }

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}
