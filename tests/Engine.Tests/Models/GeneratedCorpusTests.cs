using Engine.Models.Data;
using Engine.Models.Text;
using Xunit;

namespace Engine.Tests.Models;

public class GeneratedCorpusTests
{
    [Fact]
    public void IsDeterministicAndAboutTheRequestedSize()
    {
        var a = GeneratedCorpus.Create(50_000, seed: 3);

        Assert.Equal(a.Text, GeneratedCorpus.Create(50_000, seed: 3).Text);
        Assert.NotEqual(a.Text, GeneratedCorpus.Create(50_000, seed: 4).Text);
        Assert.InRange(a.Text.Length, 50_000, 50_500);
        Assert.Equal(200_000, GeneratedCorpus.Create().Text.Length, new ToleranceComparer(500));
    }

    [Fact]
    public void LooksLikeDialogue()
    {
        var text = GeneratedCorpus.Create(20_000).Text;
        var lines = text.Split('\n');

        Assert.Matches(@"^[A-Z]+:$", lines[0]);
        Assert.All(lines.Where(l => l.Length > 0 && !l.EndsWith(':')), l => Assert.Matches(@"^[A-Z][A-Za-z ,']*[a-z][.?!]$", l));
        Assert.DoesNotContain(" a old", text);
        Assert.DoesNotContain("I sees", text);
        Assert.InRange(CharTokenizer.Train(text).VocabSize, 30, 60);
    }

    [Fact]
    public void PreviousCharacterCarriesAtLeastOneBitOfInformation()
    {
        // A model can only beat the unigram entropy if the text has structure: the conditional entropy of a
        // character given the previous one must be clearly lower than its unconditional entropy.
        var text = GeneratedCorpus.Create().Text;
        var unigram = text.GroupBy(c => c).ToDictionary(g => g.Key, g => (double)g.Count());
        var bigram = Enumerable.Range(1, text.Length - 1).GroupBy(i => (text[i - 1], text[i])).ToDictionary(g => g.Key, g => (double)g.Count());
        var previous = Enumerable.Range(1, text.Length - 1).GroupBy(i => text[i - 1]).ToDictionary(g => g.Key, g => (double)g.Count());
        double n = text.Length, pairs = text.Length - 1;

        double entropy = -unigram.Values.Sum(c => c / n * Math.Log2(c / n));
        double conditional = -bigram.Sum(kv => kv.Value / pairs * Math.Log2(kv.Value / previous[kv.Key.Item1]));

        Assert.True(conditional < entropy - 1.0, $"H(X) = {entropy:F3} bits, H(X | previous) = {conditional:F3} bits.");
    }

    private sealed class ToleranceComparer(int tolerance) : IEqualityComparer<int>
    {
        public bool Equals(int x, int y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(int obj) => 0;
    }
}
