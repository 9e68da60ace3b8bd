namespace Engine.Optim.Structured;

/// <summary>
/// Each row's k others of smallest cost, a function of the Gram matrix's entries (g_aa, g_bb, g_ab), in the order of
/// OrderBy(cost).ThenBy(index).Take(k), costs compared as <see cref="double.CompareTo(double)"/> (which OrderBy uses:
/// NaN first). The costs are made and offered to a bounded sorted buffer per row as the Gram matrix is read, O(m·k) at
/// worst instead of sorting m costs per row, and mostly one comparison with the row's current k-th. Blocks of rows
/// run in parallel, each on its own, so the result does not depend on the thread count.
/// </summary>
internal static class NearestNeighbors
{
    /// <summary>A cost as a function of g_aa, g_bb and g_ab (a static, so that the JIT inlines it into the scan).</summary>
    public interface ICost
    {
        static abstract double Of(double gramAA, double gramBB, double gramAB);
    }

    /// <summary>
    /// Rows scanned together: 8 doubles are one cache line, so the column-major Gram matrix is read a line per column
    /// for 8 rows instead of a line per entry.
    /// </summary>
    private const int RowsPerBlock = 8;

    /// <summary>
    /// Row a's neighbours at [a·k, (a+1)·k) of <c>Neighbors</c>, nearest first, and their costs at the same places of
    /// <c>Costs</c>, from the m×m <paramref name="gram"/> stored column by column (g_ab read at b·m + a). k must be
    /// below m (or 0).
    /// </summary>
    public static (int[] Neighbors, double[] Costs) Of<TCost>(double[] gram, int m, int k) where TCost : ICost
    {
        var neighbors = new int[m * k];
        var costs = new double[m * k];
        if (k == 0) return (neighbors, costs);
        // Until k real candidates have come, the buffer holds (+∞, int.MaxValue), which every real one precedes.
        Array.Fill(costs, double.PositiveInfinity);
        Array.Fill(neighbors, int.MaxValue);
        Parallel.For(0, (m + RowsPerBlock - 1) / RowsPerBlock, block =>
        {
            int first = block * RowsPerBlock, count = Math.Min(RowsPerBlock, m - first);
            Span<double> worst = stackalloc double[RowsPerBlock];
            worst.Fill(double.PositiveInfinity);
            for (int b = 0; b < m; b++)
            {
                double gramBB = gram[b * m + b];
                var column = gram.AsSpan(b * m + first, count);
                for (int r = 0; r < count; r++)
                {
                    int a = first + r;
                    double cost = TCost.Of(gram[a * m + a], gramBB, column[r]);
                    // Above the k-th it cannot enter; anything else (equal, below, NaN) takes the exact comparison.
                    if (cost > worst[r] || a == b) continue;
                    var keptNeighbors = neighbors.AsSpan(a * k, k);
                    var keptCosts = costs.AsSpan(a * k, k);
                    Offer(keptNeighbors, keptCosts, b, cost);
                    worst[r] = keptCosts[k - 1];
                }
            }
        });
        return (neighbors, costs);
    }

    /// <summary>Puts (cost, b) into the sorted buffer if it precedes the last entry, which drops out.</summary>
    private static void Offer(Span<int> neighbors, Span<double> costs, int b, double cost)
    {
        int slot = neighbors.Length - 1;
        if (!Precedes(cost, b, costs[slot], neighbors[slot])) return;
        for (; slot > 0 && Precedes(cost, b, costs[slot - 1], neighbors[slot - 1]); slot--)
        {
            costs[slot] = costs[slot - 1];
            neighbors[slot] = neighbors[slot - 1];
        }
        costs[slot] = cost;
        neighbors[slot] = b;
    }

    /// <summary>(cost, index) before (other, otherIndex) in OrderBy(cost).ThenBy(index).</summary>
    private static bool Precedes(double cost, int index, double other, int otherIndex)
    {
        int order = cost.CompareTo(other);
        return order < 0 || (order == 0 && index < otherIndex);
    }
}
