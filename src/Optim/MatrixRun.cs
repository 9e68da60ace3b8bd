namespace Engine.Optim;

/// <summary>
/// Hidden matrices <see cref="First"/> .. First + <see cref="Count"/> − 1 (indices in the group's matrix list): one shape,
/// back to back in the store, on one side of the weight-decay boundary. A link keeps a run's per-matrix state in one
/// batched tensor and treats the run with one batched op (CGFM: one low-rank adjust per run, not per matrix).
/// </summary>
internal readonly record struct MatrixRun(int First, int Count, long Offset, int Rows, int Cols)
{
    /// <summary>
    /// Elements per batch of the batched links (Muon, SPEC-GF): 2M. Measured on the 2-core VM for 100 [100, 1000] matrices
    /// with Muon's direct Newton–Schulz (two runs each): one matrix at a time 86–91 ms, batches of 5 81–86, of 20 76–81,
    /// all 100 at once 98–100 (the batch's temporaries leave the cache). On a GPU, where each launch costs microseconds
    /// of host time, per-matrix launches made the same Muon step 64 ms.
    /// </summary>
    public const long BatchElements = 1 << 21;

    public long Elements => (long)Count * Rows * Cols;

    /// <summary>
    /// This run cut into consecutive runs of at most <paramref name="maxElements"/> elements each (at least one matrix):
    /// batches whose temporaries stay in a cache while their products are still large enough to fill a device.
    /// </summary>
    public IEnumerable<MatrixRun> Split(long maxElements)
    {
        long perMatrix = (long)Rows * Cols;
        int size = (int)Math.Clamp(maxElements / Math.Max(1, perMatrix), 1, Math.Max(1, Count));
        for (int start = 0; start < Count; start += size)
            yield return new MatrixRun(First + start, Math.Min(size, Count - start), Offset + start * perMatrix, Rows, Cols);
    }

    /// <summary>The maximal runs of <paramref name="matrices"/> (in layout order), split at <paramref name="decayedCount"/>.</summary>
    public static MatrixRun[] Of(IReadOnlyList<HiddenMatrix> matrices, long decayedCount)
    {
        var runs = new List<MatrixRun>();
        for (int i = 0; i < matrices.Count; i++)
        {
            var m = matrices[i];
            if (runs.Count > 0)
            {
                var last = runs[^1];
                bool joins = m.Rows == last.Rows && m.Cols == last.Cols && m.Offset == last.Offset + last.Elements
                             && (m.Offset < decayedCount) == (last.Offset < decayedCount);
                if (joins)
                {
                    runs[^1] = last with { Count = last.Count + 1 };
                    continue;
                }
            }
            runs.Add(new MatrixRun(i, 1, m.Offset, m.Rows, m.Cols));
        }
        return runs.ToArray();
    }
}
