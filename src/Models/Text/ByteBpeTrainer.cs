namespace Engine.Models.Text;

/// <summary>
/// Learns byte-level BPE merges. Distinct pre-tokenized chunks are counted once with their frequency; pair counts
/// are updated incrementally from the chunks that contain the merged pair (an inverted index), and the best pair is
/// taken from a lazily invalidated max-heap, so each merge costs time proportional to the chunks it touches rather
/// than a recount of the corpus. Ties go to the smallest (left, right) pair, which makes training deterministic.
/// </summary>
internal sealed class ByteBpeTrainer
{
    private readonly List<int[]> _words = [];
    private readonly List<int> _wordLengths = [];
    private readonly List<long> _wordFrequencies = [];
    private readonly Dictionary<long, long> _pairCounts = [];
    private readonly Dictionary<long, HashSet<int>> _wordsWithPair = [];
    private readonly PriorityQueue<long, (long Count, long Pair)> _heap = new(HeapOrder.Instance);

    private ByteBpeTrainer(string text)
    {
        var chunkCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var chunk in PreTokenizer.Split(text))
            chunkCounts[chunk] = chunkCounts.GetValueOrDefault(chunk) + 1;
        foreach (var (chunk, frequency) in chunkCounts.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var symbols = ByteBpeTokenizer.StrictUtf8.GetBytes(chunk).Select(b => (int)b).ToArray();
            int word = _words.Count;
            _words.Add(symbols);
            _wordLengths.Add(symbols.Length);
            _wordFrequencies.Add(frequency);
            for (int i = 0; i + 1 < symbols.Length; i++)
            {
                long pair = BytePair.Key(symbols[i], symbols[i + 1]);
                _pairCounts[pair] = _pairCounts.GetValueOrDefault(pair) + frequency;
                IndexPair(pair, word);
            }
        }
        foreach (var (pair, count) in _pairCounts) _heap.Enqueue(pair, (count, pair));
    }

    public static List<long> Train(string text, int mergeCount)
    {
        var trainer = new ByteBpeTrainer(text);
        var merges = new List<long>(mergeCount);
        while (merges.Count < mergeCount && trainer.TryTakeBestPair(out long pair))
        {
            trainer.Merge(pair, ByteBpeTokenizer.ByteVocabulary + merges.Count);
            merges.Add(pair);
        }
        return merges;
    }

    private bool TryTakeBestPair(out long pair)
    {
        while (_heap.TryDequeue(out pair, out var entry))
        {
            if (_pairCounts.TryGetValue(pair, out long current) && current == entry.Count) return true;
        }
        return false;
    }

    private void Merge(long pair, int newId)
    {
        int left = BytePair.Left(pair), right = BytePair.Right(pair);
        var delta = new Dictionary<long, long>();
        foreach (int word in _wordsWithPair[pair])
        {
            var symbols = _words[word];
            int length = _wordLengths[word];
            long frequency = _wordFrequencies[word];
            if (!Contains(symbols, length, left, right)) continue;
            AddPairs(symbols, length, -frequency, delta);
            int merged = 0;
            for (int i = 0; i < length; i++)
            {
                if (i + 1 < length && symbols[i] == left && symbols[i + 1] == right)
                {
                    symbols[merged++] = newId;
                    i++;
                }
                else
                {
                    symbols[merged++] = symbols[i];
                }
            }
            _wordLengths[word] = merged;
            AddPairs(symbols, merged, frequency, delta);
            for (int i = 0; i + 1 < merged; i++)
            {
                if (symbols[i] == newId || symbols[i + 1] == newId)
                    IndexPair(BytePair.Key(symbols[i], symbols[i + 1]), word);
            }
        }
        _wordsWithPair.Remove(pair);
        foreach (var (changed, change) in delta)
        {
            if (change == 0) continue;
            long count = _pairCounts.GetValueOrDefault(changed) + change;
            if (count > 0)
            {
                _pairCounts[changed] = count;
                _heap.Enqueue(changed, (count, changed));
            }
            else
            {
                _pairCounts.Remove(changed);
            }
        }
    }

    private static bool Contains(int[] symbols, int length, int left, int right)
    {
        for (int i = 0; i + 1 < length; i++)
            if (symbols[i] == left && symbols[i + 1] == right) return true;
        return false;
    }

    private static void AddPairs(int[] symbols, int length, long weight, Dictionary<long, long> delta)
    {
        for (int i = 0; i + 1 < length; i++)
        {
            long pair = BytePair.Key(symbols[i], symbols[i + 1]);
            delta[pair] = delta.GetValueOrDefault(pair) + weight;
        }
    }

    private void IndexPair(long pair, int word)
    {
        if (!_wordsWithPair.TryGetValue(pair, out var words)) _wordsWithPair[pair] = words = [];
        words.Add(word);
    }

    /// <summary>Highest count first; among equal counts the smallest pair key, so ties break deterministically.</summary>
    private sealed class HeapOrder : IComparer<(long Count, long Pair)>
    {
        public static readonly HeapOrder Instance = new();

        public int Compare((long Count, long Pair) x, (long Count, long Pair) y) =>
            x.Count != y.Count ? y.Count.CompareTo(x.Count) : x.Pair.CompareTo(y.Pair);
    }
}
