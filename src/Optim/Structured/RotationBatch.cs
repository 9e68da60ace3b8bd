using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Engine.Optim.Structured;

/// <summary>
/// The Givens rotations of QL sweeps (<see cref="SymmetricEigen"/>), recorded, then applied to the rows of an n×n matrix
/// a narrow column block at a time. A sweep rotates rows m−1…l in turn, and applying it to all n columns at once streams
/// the whole matrix through L3 once per sweep. The rotations' parameters never depend on the rows, so they can wait:
/// a block of 64 columns of every row (768 kB at n = 1536) stays in L2 while every recorded sweep runs over it. Each
/// element meets the same rotations in the same order either way, so the bits are the same.
/// </summary>
/// <param name="capacity">Rotations held before they are applied: at least n, a sweep's most.</param>
internal sealed class RotationBatch(double[] rows, int n, int capacity)
{
    public RotationBatch(double[] rows, int n) : this(rows, n, DefaultCapacity(n))
    {
    }

    /// <summary>
    /// At most 2²⁰ (16 MB of parameters), and 2n² below that, more than a whole decomposition records (about n²), so that
    /// a small one is applied once, at the end.
    /// </summary>
    private static int DefaultCapacity(int n) => (int)Math.Clamp(2L * n * n, 16, 1 << 20);

    private readonly int _capacity = capacity >= n
        ? capacity
        : throw new ArgumentOutOfRangeException(nameof(capacity), $"RotationBatch: a capacity of {capacity} cannot hold a sweep over {n} rows");

    private readonly List<(int First, int Last)> _sweeps = [];
    private double[] _cosines = [], _sines = [];
    private int _count, _sweepStart;

    /// <summary>The next rotation of the current sweep (rows i, i + 1, for i from the sweep's m − 1 down to its l).</summary>
    public void Add(double c, double s)
    {
        if (_count == _cosines.Length)
        {
            if (_count == _capacity) throw new InvalidOperationException("RotationBatch: a sweep longer than its capacity");
            int grown = Math.Min(_capacity, Math.Max(1024, 2 * _count));
            Array.Resize(ref _cosines, grown);
            Array.Resize(ref _sines, grown);
        }
        _cosines[_count] = c;
        _sines[_count] = s;
        _count++;
    }

    /// <summary>Closes a sweep over rows <paramref name="l"/>…<paramref name="m"/>; applies the batch when the next could overflow it.</summary>
    public void EndSweep(int l, int m)
    {
        if (_count - _sweepStart != m - l)
            throw new InvalidOperationException($"RotationBatch: a sweep over rows {l}..{m} recorded {_count - _sweepStart} rotations");
        _sweeps.Add((l, m));
        _sweepStart = _count;
        if (_count + n > _capacity) Apply();
    }

    /// <summary>Applies every recorded sweep, in order, to the rows, and empties the batch.</summary>
    public void Apply()
    {
        if (_sweeps.Count == 0) return;
        ColumnPanel.ForEach(rows, n, (long)_count * n, ApplyToPanel);
        _sweeps.Clear();
        _count = _sweepStart = 0;
    }

    private void ApplyToPanel(ColumnPanel panel)
    {
        int width = panel.Width;
        int j = PanelLanes512.IsSupported ? ApplyToStrips<PanelLanes512, Vector512<double>>(panel.Values, width)
              : PanelLanes256.IsSupported ? ApplyToStrips<PanelLanes256, Vector256<double>>(panel.Values, width)
              : 0;
        for (; j < width; j++) ApplyToColumn(panel.Values, width, j);
    }

    /// <summary>
    /// Every sweep over each strip of four vectors of the panel's columns; returns the first column left over. Rotation i
    /// turns rows i and i + 1, and the next, i − 1, turns rows i − 1 and i: the new row i stays in registers as that
    /// rotation's lower row, so each rotation loads one row and stores one.
    /// </summary>
    private int ApplyToStrips<TLanes, TVector>(double[] panel, int width)
        where TLanes : struct, IPanelLanes<TVector>
        where TVector : struct
    {
        ref double origin = ref MemoryMarshal.GetArrayDataReference(panel);
        nuint lanes = (nuint)TLanes.Count, rowStride = (nuint)width;
        int column = 0;
        for (; column + 4 * TLanes.Count <= width; column += 4 * TLanes.Count)
        {
            int next = 0;
            foreach (var (l, m) in _sweeps)
            {
                nuint at = (nuint)(m * width + column);
                var y0 = TLanes.Load(ref origin, at);
                var y1 = TLanes.Load(ref origin, at + lanes);
                var y2 = TLanes.Load(ref origin, at + 2 * lanes);
                var y3 = TLanes.Load(ref origin, at + 3 * lanes);
                for (int i = m - 1; i >= l; i--, next++)
                {
                    var c = TLanes.Broadcast(_cosines[next]);
                    var s = TLanes.Broadcast(_sines[next]);
                    var minusS = TLanes.Broadcast(-_sines[next]);
                    nuint upper = at - rowStride;
                    var x0 = TLanes.Load(ref origin, upper);
                    var x1 = TLanes.Load(ref origin, upper + lanes);
                    var x2 = TLanes.Load(ref origin, upper + 2 * lanes);
                    var x3 = TLanes.Load(ref origin, upper + 3 * lanes);
                    TLanes.Store(TLanes.MultiplyAdd(s, x0, TLanes.Multiply(c, y0)), ref origin, at);
                    TLanes.Store(TLanes.MultiplyAdd(s, x1, TLanes.Multiply(c, y1)), ref origin, at + lanes);
                    TLanes.Store(TLanes.MultiplyAdd(s, x2, TLanes.Multiply(c, y2)), ref origin, at + 2 * lanes);
                    TLanes.Store(TLanes.MultiplyAdd(s, x3, TLanes.Multiply(c, y3)), ref origin, at + 3 * lanes);
                    y0 = TLanes.MultiplyAdd(c, x0, TLanes.Multiply(minusS, y0));
                    y1 = TLanes.MultiplyAdd(c, x1, TLanes.Multiply(minusS, y1));
                    y2 = TLanes.MultiplyAdd(c, x2, TLanes.Multiply(minusS, y2));
                    y3 = TLanes.MultiplyAdd(c, x3, TLanes.Multiply(minusS, y3));
                    at = upper;
                }
                TLanes.Store(y0, ref origin, at);
                TLanes.Store(y1, ref origin, at + lanes);
                TLanes.Store(y2, ref origin, at + 2 * lanes);
                TLanes.Store(y3, ref origin, at + 3 * lanes);
            }
        }
        return column;
    }

    /// <summary>The same for one column, in scalars with the same fused operations (so the same bits).</summary>
    private void ApplyToColumn(double[] panel, int stride, int column)
    {
        int next = 0;
        foreach (var (l, m) in _sweeps)
        {
            double y = panel[m * stride + column];
            for (int i = m - 1; i >= l; i--, next++)
            {
                double c = _cosines[next], s = _sines[next], x = panel[i * stride + column];
                panel[(i + 1) * stride + column] = Math.FusedMultiplyAdd(s, x, c * y);
                y = Math.FusedMultiplyAdd(c, x, -s * y);
            }
            panel[l * stride + column] = y;
        }
    }
}
