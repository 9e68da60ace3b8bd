using System.Text;
using Engine.Models.Text;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Models;

public class ByteBpeTokenizerTests
{
    private const int TrainChars = 100_000;
    private const int TrainVocab = 256 + 300;

    private static readonly Lazy<ByteBpeTokenizer> Shakespeare = new(() =>
        ByteBpeTokenizer.Train(ModelTestFiles.Shakespeare[..TrainChars], TrainVocab));

    private static readonly string[] Pieces =
    [
        "a", "Z", "0", "9", " ", "  ", "\n", "\t", "'s", "'ll", ",", "!", "é", "ß", "€", "中文", "мир", "😀", "👩‍👩‍👧", "\u0301",
        "the", " the", "KING", "\r\n", "\u00A0", "𝔘",
    ];

    [Fact]
    public void RoundTripsArbitraryWellFormedStrings()
    {
        var tokenizer = Shakespeare.Value;
        var fromPieces = Gen.ArrayOf(Gen.Elements(Pieces)).Select(string.Concat);
        var fromChars = ArbMap.Default.GeneratorFor<string>().Where(s => s is not null && IsWellFormed(s));
        var texts = Gen.OneOf(fromPieces, fromChars).ToArbitrary();

        Prop.ForAll(texts, text =>
        {
            var ids = tokenizer.Encode(text);
            Assert.All(ids, id => Assert.InRange(id, 0, tokenizer.VocabSize - 1));
            Assert.Equal(text, tokenizer.Decode(ids));
            Assert.Equal(Encoding.UTF8.GetBytes(text), ids.SelectMany(id => tokenizer.BytesOf(id).ToArray()));
        }).Check(TestSeeds.Quick(300));
    }

    [Fact]
    public void IncrementalTrainingMatchesNaiveRecount()
    {
        var text = ModelTestFiles.Shakespeare[..20_000] + " naïve café 😀😀 中文中文 ";

        var trained = ByteBpeTokenizer.Train(text, 256 + 120);

        Assert.Equal(NaiveMerges(text, 120), ParseMerges(trained.ToSpec().Data));
    }

    [Fact]
    public void TiesBreakTowardTheSmallestPair()
    {
        // Chunks "ab", " ab", " cd", " cd": (' ', 'c'), ('a', 'b') and ('c', 'd') all occur twice.
        var tokenizer = ByteBpeTokenizer.Train("ab ab cd cd", 257);

        Assert.Equal("32 99\n", tokenizer.ToSpec().Data);
    }

    [Fact]
    public void TrainingIsDeterministicAndStopsWhenNoPairsRemain()
    {
        var text = ModelTestFiles.Shakespeare[..30_000];
        Assert.Equal(ByteBpeTokenizer.Train(text, 400).ToSpec(), ByteBpeTokenizer.Train(text, 400).ToSpec());

        var tiny = ByteBpeTokenizer.Train("abc", 1000);
        Assert.Equal(258, tiny.VocabSize);
        Assert.Equal([257], tiny.Encode("abc"));
    }

    [Fact]
    public void MergesReduceTokenCountOnShakespeare()
    {
        var tokenizer = Shakespeare.Value;
        var heldOut = ModelTestFiles.Shakespeare.Substring(500_000, 50_000);

        var ids = tokenizer.Encode(heldOut);

        Assert.Equal(TrainVocab, tokenizer.VocabSize);
        Assert.True(ids.Length < 0.6 * Encoding.UTF8.GetByteCount(heldOut),
            $"{ids.Length} tokens for {heldOut.Length} bytes: merges barely compress.");
        Assert.Equal(heldOut, tokenizer.Decode(ids));
    }

    [Fact]
    public void MergedTokensNeverCrossChunkBoundaries()
    {
        var tokenizer = Shakespeare.Value;
        var strict = new UTF8Encoding(false, true);
        for (int id = 256; id < tokenizer.VocabSize; id++)
        {
            string text;
            try
            {
                text = strict.GetString(tokenizer.BytesOf(id));
            }
            catch (DecoderFallbackException)
            {
                continue;
            }
            Assert.True(PreTokenizer.Split(text).Count == 1, $"Token {id} \"{text}\" spans several pre-tokenizer chunks.");
        }
    }

    [Fact]
    public void SpecRoundTripsAndRejectsBadData()
    {
        var tokenizer = Shakespeare.Value;
        var sample = ModelTestFiles.Shakespeare.Substring(200_000, 5_000);

        var rebuilt = Tokenizer.FromSpec(tokenizer.ToSpec());

        Assert.Equal(tokenizer.Encode(sample), rebuilt.Encode(sample));
        Assert.Contains("line 1", Assert.Throws<TokenizerException>(() => Tokenizer.FromSpec(new TokenizerSpec("byte-bpe", 257, "97,98\n"))).Message);
        Assert.Contains("only ids below 257", Assert.Throws<TokenizerException>(() => Tokenizer.FromSpec(new TokenizerSpec("byte-bpe", 258, "97 98\n257 97\n"))).Message);
        Assert.Contains("repeats", Assert.Throws<TokenizerException>(() => Tokenizer.FromSpec(new TokenizerSpec("byte-bpe", 258, "97 98\n97 98\n"))).Message);
    }

    [Fact]
    public void BadInputsAreRejectedWithPosition()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ByteBpeTokenizer.Train("abc", 255));
        var error = Assert.Throws<TokenizerException>(() => Shakespeare.Value.Encode("ok\nx\uDC00"));
        Assert.Contains("U+DC00 at index 4 (line 2, column 2)", error.Message);
        Assert.Contains("Token id 556 at position 0", Assert.Throws<TokenizerException>(() => Shakespeare.Value.Decode([556])).Message);
    }

    private static bool IsWellFormed(string s)
    {
        for (int i = 0; i < s.Length; i += char.IsSurrogatePair(s, i) ? 2 : 1)
            if (char.IsSurrogate(s[i]) && !char.IsSurrogatePair(s, i)) return false;
        return true;
    }

    private static List<(int, int)> ParseMerges(string data) =>
        data.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .Select(p => (int.Parse(p[0]), int.Parse(p[1])))
            .ToList();

    /// <summary>Reference trainer: recounts every pair of every chunk before each merge.</summary>
    private static List<(int, int)> NaiveMerges(string text, int mergeCount)
    {
        var words = PreTokenizer.Split(text).Select(c => Encoding.UTF8.GetBytes(c).Select(b => (int)b).ToList()).ToList();
        var merges = new List<(int, int)>();
        for (int m = 0; m < mergeCount; m++)
        {
            var counts = new Dictionary<(int, int), int>();
            foreach (var w in words)
                for (int i = 0; i + 1 < w.Count; i++)
                    counts[(w[i], w[i + 1])] = counts.GetValueOrDefault((w[i], w[i + 1])) + 1;
            if (counts.Count == 0) break;
            var best = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2).First().Key;
            merges.Add(best);
            foreach (var w in words)
            {
                for (int i = 0; i + 1 < w.Count; i++)
                {
                    if (w[i] == best.Item1 && w[i + 1] == best.Item2)
                    {
                        w[i] = 256 + m;
                        w.RemoveAt(i + 1);
                    }
                }
            }
        }
        return merges;
    }
}
