namespace Engine.Models.Text;

/// <summary>Maps text to token ids and back. Implementations are immutable and thread-safe.</summary>
public interface ITokenizer
{
    /// <summary>Number of distinct token ids; every id is in [0, VocabSize).</summary>
    int VocabSize { get; }

    /// <summary>Token ids of <paramref name="text"/>.</summary>
    /// <exception cref="TokenizerException">The text holds something the tokenizer cannot represent.</exception>
    int[] Encode(string text);

    /// <summary>Text of <paramref name="ids"/>; <c>Decode(Encode(s)) == s</c> for every string Encode accepts.</summary>
    /// <exception cref="TokenizerException">An id is outside [0, VocabSize).</exception>
    string Decode(ReadOnlySpan<int> ids);

    /// <summary>A description from which <see cref="Tokenizer.FromSpec"/> rebuilds an identical tokenizer.</summary>
    TokenizerSpec ToSpec();
}
