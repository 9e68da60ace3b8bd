namespace Engine.Models.Text;

/// <summary>Rebuilds tokenizers from their saved <see cref="TokenizerSpec"/>.</summary>
public static class Tokenizer
{
    /// <exception cref="TokenizerException">Unknown kind, malformed data, or a vocabulary size that does not match the data.</exception>
    public static ITokenizer FromSpec(TokenizerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ITokenizer tokenizer = spec.Kind switch
        {
            CharTokenizer.KindName => CharTokenizer.FromSpecData(spec.Data),
            ByteBpeTokenizer.KindName => ByteBpeTokenizer.FromSpecData(spec.Data),
            _ => throw new TokenizerException(
                $"Unknown tokenizer kind '{spec.Kind}'; expected '{CharTokenizer.KindName}' or '{ByteBpeTokenizer.KindName}'."),
        };
        if (tokenizer.VocabSize != spec.VocabSize)
            throw new TokenizerException(
                $"Tokenizer spec of kind '{spec.Kind}' declares vocabSize {spec.VocabSize} but its data defines {tokenizer.VocabSize} tokens.");
        return tokenizer;
    }
}
