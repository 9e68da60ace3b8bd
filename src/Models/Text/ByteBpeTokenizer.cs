using System.Globalization;
using System.Text;

namespace Engine.Models.Text;

/// <summary>
/// GPT-2 style byte-level BPE: ids 0..255 are the UTF-8 bytes, id 256 + r is the r-th learned merge. Text is split
/// into chunks (<see cref="PreTokenizer"/>), each chunk's bytes are merged by rank, so any well-formed string
/// encodes (no unknown tokens) and decodes back exactly.
/// </summary>
public sealed class ByteBpeTokenizer : ITokenizer
{
    /// <summary>The <see cref="TokenizerSpec.Kind"/> of this tokenizer.</summary>
    public const string KindName = "byte-bpe";

    internal const int ByteVocabulary = 256;

    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly long[] _merges;
    private readonly Dictionary<long, int> _rankOfPair;
    private readonly byte[][] _bytesOfToken;

    private ByteBpeTokenizer(long[] merges)
    {
        _merges = merges;
        _rankOfPair = new Dictionary<long, int>(merges.Length);
        _bytesOfToken = new byte[ByteVocabulary + merges.Length][];
        for (int b = 0; b < ByteVocabulary; b++) _bytesOfToken[b] = [(byte)b];
        for (int rank = 0; rank < merges.Length; rank++)
        {
            long pair = merges[rank];
            _rankOfPair.Add(pair, rank);
            _bytesOfToken[ByteVocabulary + rank] = [.. _bytesOfToken[BytePair.Left(pair)], .. _bytesOfToken[BytePair.Right(pair)]];
        }
    }

    /// <inheritdoc/>
    public int VocabSize => _bytesOfToken.Length;

    /// <summary>Number of learned merges (VocabSize - 256).</summary>
    public int MergeCount => _merges.Length;

    /// <summary>The UTF-8 bytes token <paramref name="id"/> stands for.</summary>
    public ReadOnlySpan<byte> BytesOf(int id) => _bytesOfToken[id];

    /// <summary>
    /// Learns up to <paramref name="vocabSize"/> - 256 merges from <paramref name="text"/>, most frequent pair first
    /// (ties: smallest left id, then smallest right id). Stops early when no adjacent pair is left to merge, so
    /// <see cref="VocabSize"/> can be smaller than requested for tiny texts.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vocabSize"/> is below 256.</exception>
    /// <exception cref="TokenizerException">The text holds a lone surrogate.</exception>
    public static ByteBpeTokenizer Train(string text, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (vocabSize < ByteVocabulary)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize,
                $"A byte-level BPE vocabulary holds the {ByteVocabulary} byte tokens, so vocabSize must be at least {ByteVocabulary}.");
        PreTokenizer.RequireWellFormed(text);
        return new ByteBpeTokenizer(ByteBpeTrainer.Train(text, vocabSize - ByteVocabulary).ToArray());
    }

    /// <inheritdoc/>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        PreTokenizer.RequireWellFormed(text);
        var ids = new List<int>(text.Length / 2);
        var cache = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var chunk in PreTokenizer.Split(text))
        {
            if (!cache.TryGetValue(chunk, out var chunkIds)) cache[chunk] = chunkIds = EncodeChunk(chunk);
            ids.AddRange(chunkIds);
        }
        return ids.ToArray();
    }

    /// <inheritdoc/>
    /// <remarks>An arbitrary id sequence may cut a multi-byte character; such bytes decode to U+FFFD.</remarks>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>(ids.Length * 3);
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if ((uint)id >= (uint)_bytesOfToken.Length)
                throw new TokenizerException(
                    $"Token id {id} at position {i} is outside the byte-level BPE vocabulary [0, {VocabSize}).");
            bytes.AddRange(_bytesOfToken[id]);
        }
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    /// <inheritdoc/>
    /// <remarks>Data: one merge per line in rank order, "left right" as decimal token ids.</remarks>
    public TokenizerSpec ToSpec()
    {
        var data = new StringBuilder(_merges.Length * 8);
        foreach (long pair in _merges)
            data.Append(CultureInfo.InvariantCulture, $"{BytePair.Left(pair)} {BytePair.Right(pair)}\n");
        return new TokenizerSpec(KindName, VocabSize, data.ToString());
    }

    internal static ByteBpeTokenizer FromSpecData(string data)
    {
        var lines = data.Split('\n');
        int count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        var merges = new long[count];
        var seen = new HashSet<long>();
        for (int rank = 0; rank < count; rank++)
        {
            var parts = lines[rank].Split(' ');
            int known = ByteVocabulary + rank;
            if (parts.Length != 2
                || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int left)
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int right))
                throw new TokenizerException(
                    $"Byte-level BPE spec line {rank + 1} is \"{lines[rank]}\"; expected two token ids \"left right\".");
            if (left >= known || right >= known)
                throw new TokenizerException(
                    $"Byte-level BPE spec line {rank + 1} merges ({left}, {right}) but only ids below {known} exist at that rank.");
            if (!seen.Add(BytePair.Key(left, right)))
                throw new TokenizerException($"Byte-level BPE spec line {rank + 1} repeats the merge ({left}, {right}).");
            merges[rank] = BytePair.Key(left, right);
        }
        return new ByteBpeTokenizer(merges);
    }

    /// <summary>Repeatedly merges every occurrence of the lowest-ranked adjacent pair, as GPT-2 does.</summary>
    private int[] EncodeChunk(string chunk)
    {
        var symbols = StrictUtf8.GetBytes(chunk).Select(b => (int)b).ToArray();
        int length = symbols.Length;
        while (length >= 2)
        {
            int bestRank = int.MaxValue;
            for (int i = 0; i + 1 < length; i++)
            {
                if (_rankOfPair.TryGetValue(BytePair.Key(symbols[i], symbols[i + 1]), out int rank) && rank < bestRank)
                    bestRank = rank;
            }
            if (bestRank == int.MaxValue) break;
            long best = _merges[bestRank];
            int left = BytePair.Left(best), right = BytePair.Right(best), merged = 0;
            for (int i = 0; i < length; i++)
            {
                if (i + 1 < length && symbols[i] == left && symbols[i + 1] == right)
                {
                    symbols[merged++] = ByteVocabulary + bestRank;
                    i++;
                }
                else
                {
                    symbols[merged++] = symbols[i];
                }
            }
            length = merged;
        }
        return symbols[..length];
    }
}
