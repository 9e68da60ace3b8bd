using System.Text;

namespace Engine.Models.Data;

/// <summary>
/// A built-in corpus so a first training run needs no data file: dialogue in the layout of tinyshakespeare
/// (SPEAKER:, lines, blank line between turns) whose sentences come from a small grammar with agreement rules
/// (subject-verb number, "a"/"an"), so a model has real structure to learn beyond letter frequencies.
/// </summary>
public static class GeneratedCorpus
{
    private static readonly string[] Speakers = ["ALICE", "BERNARD", "CORDELIA", "DUNCAN", "HELENA", "OBERON"];
    private static readonly string[] Determiners = ["the", "a", "my", "thy", "our", "this"];
    private static readonly string[] Adjectives = ["old", "young", "bright", "dark", "gentle", "proud", "silent", "noble", "empty"];
    private static readonly string[] Nouns = ["king", "queen", "river", "star", "sword", "heart", "crown", "night", "garden", "child", "owl", "army"];
    private static readonly string[] Pronouns = ["I", "we", "they", "you"];
    private static readonly (string Singular, string Plural)[] TransitiveVerbs =
    [
        ("sees", "see"), ("loves", "love"), ("keeps", "keep"), ("takes", "take"),
        ("holds", "hold"), ("finds", "find"), ("fears", "fear"), ("follows", "follow"),
    ];
    private static readonly (string Singular, string Plural)[] IntransitiveVerbs =
    [
        ("sleeps", "sleep"), ("sings", "sing"), ("waits", "wait"), ("falls", "fall"), ("weeps", "weep"), ("rises", "rise"),
    ];
    private static readonly string[] Adverbs = ["softly", "tonight", "again", "alone", "still", "no more"];
    private static readonly string[] Prepositions = ["in", "by", "under", "beyond", "with"];
    private static readonly string[] Conjunctions = ["and", "but", "for", "yet"];

    /// <summary>
    /// Generates about <paramref name="approxChars"/> characters (whole speeches, so slightly more); the same
    /// arguments always give the same text.
    /// </summary>
    public static TextCorpus Create(int approxChars = 200_000, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(approxChars, 1);
        var rng = new Xoshiro256StarStar((ulong)seed);
        var text = new StringBuilder(approxChars + 256);
        while (text.Length < approxChars)
        {
            text.Append(Pick(rng, Speakers)).Append(":\n");
            int lines = 1 + (int)rng.NextBelow(3);
            for (int i = 0; i < lines; i++) text.Append(Capitalize(Sentence(rng))).Append('\n');
            text.Append('\n');
        }
        return new TextCorpus($"generated corpus (approxChars={approxChars}, seed={seed})", text.ToString());
    }

    private static string Sentence(Xoshiro256StarStar rng) => rng.NextBelow(10) switch
    {
        < 4 => Clause(rng) + ".",
        < 6 => Clause(rng) + ", " + Pick(rng, Conjunctions) + " " + Clause(rng) + ".",
        < 8 => Question(rng),
        _ => "O " + Pick(rng, Adjectives) + " " + Pick(rng, Nouns) + "!",
    };

    private static string Clause(Xoshiro256StarStar rng)
    {
        bool pronoun = rng.NextBelow(3) == 0;
        string subject = pronoun ? Pick(rng, Pronouns) : NounPhrase(rng);
        if (rng.NextBelow(2) == 0)
        {
            var (singular, plural) = Pick(rng, TransitiveVerbs);
            return $"{subject} {(pronoun ? plural : singular)} {NounPhrase(rng)}";
        }
        var (sleeps, sleep) = Pick(rng, IntransitiveVerbs);
        string tail = rng.NextBelow(2) == 0 ? Pick(rng, Adverbs) : PrepositionalPhrase(rng);
        return $"{subject} {(pronoun ? sleep : sleeps)} {tail}";
    }

    private static string Question(Xoshiro256StarStar rng)
    {
        bool pronoun = rng.NextBelow(3) == 0;
        string subject = pronoun ? Pick(rng, Pronouns) : NounPhrase(rng);
        string auxiliary = pronoun ? "do" : "does";
        return $"{auxiliary} {subject} {Pick(rng, TransitiveVerbs).Plural} {NounPhrase(rng)}?";
    }

    private static string NounPhrase(Xoshiro256StarStar rng)
    {
        string determiner = Pick(rng, Determiners);
        string rest = (rng.NextBelow(2) == 0 ? Pick(rng, Adjectives) + " " : "") + Pick(rng, Nouns);
        if (determiner == "a" && "aeiou".Contains(rest[0])) determiner = "an";
        return determiner + " " + rest;
    }

    private static string PrepositionalPhrase(Xoshiro256StarStar rng) => Pick(rng, Prepositions) + " " + NounPhrase(rng);

    private static string Capitalize(string sentence) => char.ToUpperInvariant(sentence[0]) + sentence[1..];

    private static T Pick<T>(Xoshiro256StarStar rng, T[] choices) => choices[(int)rng.NextBelow((ulong)choices.Length)];
}
