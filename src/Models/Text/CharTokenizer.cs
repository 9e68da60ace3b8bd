using System.Buffers;
using System.Text;

namespace Engine.Models.Text;

/// <summary>
/// One token per Unicode scalar value (rune). The vocabulary is the sorted distinct runes of the training text, so
/// ids follow code-point order (tinyshakespeare gives 65 tokens, '\n' = 0), as in nanoGPT's shakespeare_char.
/// </summary>
public sealed class CharTokenizer : ITokenizer
{
    /// <summary>The <see cref="TokenizerSpec.Kind"/> of this tokenizer.</summary>
    public const string KindName = "char";

    private readonly Rune[] _vocabulary;
    private readonly Dictionary<int, int> _idOfScalar;

    private CharTokenizer(Rune[] sortedDistinct)
    {
        _vocabulary = sortedDistinct;
        _idOfScalar = new Dictionary<int, int>(sortedDistinct.Length);
        for (int i = 0; i < sortedDistinct.Length; i++) _idOfScalar.Add(sortedDistinct[i].Value, i);
    }

    /// <inheritdoc/>
    public int VocabSize => _vocabulary.Length;

    /// <summary>The vocabulary in id order.</summary>
    public IReadOnlyList<Rune> Vocabulary => _vocabulary;

    /// <summary>Builds the vocabulary from the distinct runes of <paramref name="text"/>.</summary>
    /// <exception cref="TokenizerException">The text is empty or holds a lone surrogate.</exception>
    public static CharTokenizer Train(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) throw new TokenizerException("Cannot build a character vocabulary from empty text.");
        var distinct = new HashSet<int>();
        ForEachRune(text, (rune, _) => distinct.Add(rune.Value));
        var sorted = distinct.Order().Select(v => new Rune(v)).ToArray();
        return new CharTokenizer(sorted);
    }

    /// <inheritdoc/>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length);
        ForEachRune(text, (rune, index) =>
        {
            if (!_idOfScalar.TryGetValue(rune.Value, out int id))
                throw new TokenizerException(
                    $"Character {TextPosition.DescribeRune(rune)} at {TextPosition.Describe(text, index)} is not in the " +
                    $"vocabulary of {VocabSize} characters.");
            ids.Add(id);
        });
        return ids.ToArray();
    }

    /// <inheritdoc/>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var builder = new StringBuilder(ids.Length);
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if ((uint)id >= (uint)_vocabulary.Length)
                throw new TokenizerException(
                    $"Token id {id} at position {i} is outside the character vocabulary [0, {VocabSize}).");
            builder.Append(_vocabulary[id].ToString());
        }
        return builder.ToString();
    }

    /// <inheritdoc/>
    public TokenizerSpec ToSpec() => new(KindName, VocabSize, string.Concat(_vocabulary.Select(r => r.ToString())));

    internal static CharTokenizer FromSpecData(string data)
    {
        var runes = new List<Rune>();
        ForEachRune(data, (rune, index) =>
        {
            if (runes.Count > 0 && runes[^1].Value >= rune.Value)
                throw new TokenizerException(
                    $"Character tokenizer spec is not sorted and distinct at {TextPosition.Describe(data, index)}: " +
                    $"{TextPosition.DescribeRune(rune)} follows {TextPosition.DescribeRune(runes[^1])}.");
            runes.Add(rune);
        });
        if (runes.Count == 0) throw new TokenizerException("Character tokenizer spec has an empty vocabulary.");
        return new CharTokenizer(runes.ToArray());
    }

    private static void ForEachRune(string text, Action<Rune, int> visit)
    {
        for (int i = 0; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out int used) != OperationStatus.Done)
                throw new TokenizerException(
                    $"Lone surrogate U+{(int)text[i]:X4} at {TextPosition.Describe(text, i)} is not a Unicode character.");
            visit(rune, i);
            i += used;
        }
    }
}
