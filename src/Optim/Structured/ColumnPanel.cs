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

    public static ColumnPanel Pack(double[] matrix, int n, int from, int width)
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
