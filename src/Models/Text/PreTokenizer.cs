using System.Text.RegularExpressions;

namespace Engine.Models.Text;

/// <summary>
/// Splits text into the chunks BPE merges may not cross, with GPT-2's pattern: contractions, an optional space
/// followed by letters, digits or other symbols, and runs of whitespace. The chunks cover the text exactly.
/// </summary>
internal static partial class PreTokenizer
{
    [GeneratedRegex(@"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex ChunkPattern();

    public static List<string> Split(string text)
    {
        var chunks = new List<string>();
        foreach (var match in ChunkPattern().EnumerateMatches(text))
            chunks.Add(text.Substring(match.Index, match.Length));
        return chunks;
    }

    /// <summary>Rejects lone surrogates, which have no UTF-8 form, so a byte-level round trip is exact.</summary>
    public static void RequireWellFormed(string text)
    {
        int bad = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        for (int i = bad; i >= 0 && i < text.Length; i++)
        {
            if (!char.IsSurrogate(text[i])) continue;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            throw new TokenizerException(
                $"Lone surrogate U+{(int)text[i]:X4} at {TextPosition.Describe(text, i)} has no UTF-8 encoding.");
        }
    }
}
