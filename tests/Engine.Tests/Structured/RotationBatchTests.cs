using Engine.Optim.Structured;
using Xunit;

namespace Engine.Tests.Structured;

public class RotationBatchTests
{
    /// <summary>
    /// A decomposition of n ≳ 1000 records more rotations than the batch holds (2²⁰), so it applies the batch part way;
    /// a small capacity does the same here at n = 150: two 64-column panels and one of 22, each with full strips and a
    /// scalar tail at any vector width.
    /// </summary>
    [Theory]
    [InlineData(150)]        // applied after every sweep
    [InlineData(600)]        // after a few sweeps, never at a sweep's end alone
    [InlineData(1 << 20)]    // once, at the end
    public void SweepsGiveTheBitsOfRotatingWholeRowsInTurnWhereverTheBatchIsApplied(int capacity)
    {
        const int n = 150;
        var rng = new Random(9);
        var start = Enumerable.Range(0, n * n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var sweeps = Enumerable.Range(0, 200).Select(_ =>
        {
            int l = rng.Next(n - 1), m = l + 1 + rng.Next(n - 1 - l);
            var angles = Enumerable.Range(0, m - l).Select(_ => rng.NextDouble() * 2 * Math.PI).ToArray();
            return (l, m, angles);
        }).ToArray();

        var expected = (double[])start.Clone();
        foreach (var (l, m, angles) in sweeps)
            for (int i = m - 1, r = 0; i >= l; i--, r++)
            {
                double c = Math.Cos(angles[r]), s = Math.Sin(angles[r]);
                for (int k = 0; k < n; k++)
                {
                    double x = expected[i * n + k], y = expected[(i + 1) * n + k];
                    expected[(i + 1) * n + k] = Math.FusedMultiplyAdd(s, x, c * y);
                    expected[i * n + k] = Math.FusedMultiplyAdd(c, x, -s * y);
                }
            }

        var rows = (double[])start.Clone();
        var batch = new RotationBatch(rows, n, capacity);
        foreach (var (l, m, angles) in sweeps)
        {
            foreach (double angle in angles) batch.Add(Math.Cos(angle), Math.Sin(angle));
            batch.EndSweep(l, m);
        }
        batch.Apply();
        Assert.Equal(expected, rows);
    }
}
