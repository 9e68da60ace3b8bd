using System.Buffers;

namespace Engine.Optim.Structured;

/// <summary>
/// A block of columns of a row-major n×n matrix, copied out with its rows adjacent, and copied back on dispose. A loop
/// that walks down the columns of a wide matrix touches a new page on every row; in the panel, the block's rows share
/// a few hundred pages, which the TLB holds.
/// </summary>
internal readonly struct ColumnPanel : IDisposable
{
    /// <summary>Columns per panel: 64 doubles of every row fit in L2 up to n ≈ 2000.</summary>
    public const int BlockColumns = 64;

    /// <summary>Multiply-adds below which the panels of a matrix are worked on one core.</summary>
    private const long ParallelWork = 1L << 18;

    private readonly double[] _matrix;
    private readonly int _n, _from;

    private ColumnPanel(double[] matrix, int n, int from, int width, double[] values)
    {
        _matrix = matrix;
        _n = n;
        _from = from;
        Width = width;
        Values = values;
    }

    /// <summary>Row i of the block at [i · Width, (i + 1) · Width) (pooled: it may be longer than n · Width).</summary>
    public double[] Values { get; }

    public int Width { get; }

    /// <summary>The matrix column this panel's first column is.</summary>
    public int From => _from;

    /// <summary>
    /// Runs <paramref name="body"/> on every panel of the n×n <paramref name="matrix"/> in turn, each packed before and
    /// written back after, on all cores when the <paramref name="work"/> (multiply-adds) is large. The panels are the same
    /// either way, and each is worked by one core, so the bits do not depend on the cores.
    /// </summary>
    public static void ForEach(double[] matrix, int n, long work, Action<ColumnPanel> body)
    {
        int panels = (n + BlockColumns - 1) / BlockColumns;
        void Work(int p)
        {
            using var panel = Pack(matrix, n, p * BlockColumns, Math.Min(BlockColumns, n - p * BlockColumns));
            body(panel);
        }
        if (panels == 1 || work < ParallelWork) for (int p = 0; p < panels; p++) Work(p);
        else Parallel.For(0, panels, Work);
    }

    private static ColumnPanel Pack(double[] matrix, int n, int from, int width)
    {
        var values = ArrayPool<double>.Shared.Rent(n * width);
        for (int i = 0; i < n; i++) matrix.AsSpan(i * n + from, width).CopyTo(values.AsSpan(i * width, width));
        return new(matrix, n, from, width, values);
    }

    public void Dispose()
    {
        for (int i = 0; i < _n; i++) Values.AsSpan(i * Width, Width).CopyTo(_matrix.AsSpan(i * _n + _from, Width));
        ArrayPool<double>.Shared.Return(Values);
    }
}
