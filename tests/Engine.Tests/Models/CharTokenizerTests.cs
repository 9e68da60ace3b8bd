using Engine.Models.Text;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Models;

public class CharTokenizerTests
{
    [Fact]
    public void TinyShakespeareHas65SortedCharacters()
    {
        var tokenizer = CharTokenizer.Train(ModelTestFiles.Shakespeare);

        Assert.Equal(65, tokenizer.VocabSize);
        Assert.Equal("\n", tokenizer.Vocabulary[0].ToString());
        Assert.Equal(" ", tokenizer.Vocabulary[1].ToString());
        Assert.Equal("z", tokenizer.Vocabulary[64].ToString());
        var ids = tokenizer.Encode(ModelTestFiles.Shakespeare[..5000]);
        Assert.Equal(ModelTestFiles.Shakespeare[..5000], tokenizer.Decode(ids));
    }

    [Fact]
    public void RoundTripsAnyStringOverItsAlphabet()
    {
        const string alphabet = "ab \n€😀é";
        var tokenizer = CharTokenizer.Train(alphabet);
        var runes = alphabet.EnumerateRunes().Select(r => r.ToString()).ToArray();
        var texts = Gen.ArrayOf(Gen.Elements(runes)).Select(string.Concat).ToArbitrary();

        Prop.ForAll(texts, text =>
        {
            var ids = tokenizer.Encode(text);
            Assert.Equal(text.EnumerateRunes().Count(), ids.Length);
            Assert.All(ids, id => Assert.InRange(id, 0, tokenizer.VocabSize - 1));
            Assert.Equal(text, tokenizer.Decode(ids));
        }).Check(TestSeeds.Quick(200));
    }

    [Fact]
    public void IdsFollowCodePointOrderIncludingAstralCharacters()
    {
        var tokenizer = CharTokenizer.Train("😀ba😀a");

        Assert.Equal(["a", "b", "😀"], tokenizer.Vocabulary.Select(r => r.ToString()));
        Assert.Equal([2, 1, 0], tokenizer.Encode("😀ba"));
    }

    [Fact]
    public void UnknownCharacterNamesItAndItsPosition()
    {
        var tokenizer = CharTokenizer.Train("abc\n");

        var error = Assert.Throws<TokenizerException>(() => tokenizer.Encode("ab\ncaZ"));

        Assert.Contains("'Z' (U+005A)", error.Message);
        Assert.Contains("index 5 (line 2, column 3)", error.Message);
        Assert.Contains("4 characters", error.Message);
    }

    [Fact]
    public void LoneSurrogateIsRejected()
    {
        var error = Assert.Throws<TokenizerException>(() => CharTokenizer.Train("ab\uD800c"));
        Assert.Contains("U+D800", error.Message);
        Assert.Contains("index 2", error.Message);
    }

    [Fact]
    public void DecodeRejectsIdOutsideVocabulary()
    {
        var tokenizer = CharTokenizer.Train("abc");

        var error = Assert.Throws<TokenizerException>(() => tokenizer.Decode([0, 3]));

        Assert.Contains("Token id 3 at position 1", error.Message);
    }

    [Fact]
    public void SpecRoundTripsAndRejectsBadData()
    {
        var tokenizer = CharTokenizer.Train("hello, world\n😀");

        var rebuilt = Tokenizer.FromSpec(tokenizer.ToSpec());

        Assert.Equal(tokenizer.Vocabulary, ((CharTokenizer)rebuilt).Vocabulary);
        Assert.Contains("not sorted", Assert.Throws<TokenizerException>(() => Tokenizer.FromSpec(new TokenizerSpec("char", 2, "ba"))).Message);
        Assert.Contains("declares vocabSize 3", Assert.Throws<TokenizerException>(() => Tokenizer.FromSpec(new TokenizerSpec("char", 3, "ab"))).Message);
        Assert.Contains("Unknown tokenizer kind 'word'", Assert.Throws<TokenizerException>(() => Tokenizer.FromSpec(new TokenizerSpec("word", 3, "ab"))).Message);
    }
}
