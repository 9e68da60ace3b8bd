namespace Engine.Models.Sampling;

/// <summary>How <see cref="TextGenerator"/> picks each next token.</summary>
/// <param name="MaxNewTokens">Tokens to generate after the prompt.</param>
/// <param name="Temperature">Logits are divided by it; 0 picks the most likely token every time (greedy).</param>
/// <param name="TopK">Sample among the k most likely tokens only (ties with the k-th kept); 0 samples from all.</param>
/// <param name="Seed">Seed of the sampling generator: the same seed, prompt and model give the same text.</param>
public sealed record SampleOptions(int MaxNewTokens = 500, float Temperature = 0.8f, int TopK = 200, ulong Seed = 1337)
{
    public void Validate()
    {
        if (MaxNewTokens < 0) throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "MaxNewTokens (--length) must be >= 0");
        if (!(Temperature >= 0) || float.IsInfinity(Temperature))
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature (--temperature) must be a finite number >= 0");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TopK (--top-k) must be >= 0 (0: no top-k filter)");
    }
}
