using Engine.Kernels.Devices;
using Engine.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Engine.Optim.Structured;

/// <summary>
/// SPEC-GF's Laplacians on the device in compressed rows (<see cref="SparseMatMulSpec"/>). A symmetrized kNN graph has at
/// most 2mk edges (each of the m·k kNN edges appears at most twice), so L has at most m(2k + 1) entries with its diagonal:
/// L·X costs (2k + 1)·m·n multiply-adds instead of the dense m²·n, and the matrix holds m(2k + 1) entries instead of m².
/// One matrix, or a batch of equal ones whose product is one launch; each has that fixed room, so each filter rewrites its
/// own at a rebuild, whatever its number of edges.
/// </summary>
internal sealed class SparseLaplacian : IDisposable
{
    private readonly Tensor _starts, _columns, _values;

    private SparseLaplacian(Tensor starts, Tensor columns, Tensor values, int count, int rows, int capacity)
    {
        (_starts, _columns, _values) = (starts, columns, values);
        (Count, Rows, Capacity) = (count, rows, capacity);
    }

    public int Count { get; }
    public int Rows { get; }

    /// <summary>Room for entries per matrix: m(2k + 1), k the neighbours a node keeps (at most m − 1).</summary>
    public int Capacity { get; }

    /// <summary><paramref name="count"/> empty Laplacians (every product 0 until written).</summary>
    public static SparseLaplacian Allocate(ComputeDevice device, int count, int rows, int neighbors)
    {
        int capacity = checked(rows * (2 * Math.Min(neighbors, Math.Max(rows - 1, 0)) + 1));
        return new(Tensor.Zeros(device, DType.Int32, count, rows + 1), Tensor.Zeros(device, DType.Int32, count, capacity),
                   Tensor.Zeros(device, count, capacity), count, rows, capacity);
    }

    /// <summary>Views of matrix <paramref name="index"/> of the batch (they share its storage; dispose them as usual).</summary>
    public SparseLaplacian At(int index) =>
        new(DeviceMath.Item(_starts, index), DeviceMath.Item(_columns, index), DeviceMath.Item(_values, index), 1, Rows, Capacity);

    /// <summary>Writes <paramref name="laplacian"/>'s nonzero entries, row by row in column order, into a single matrix's room.</summary>
    public void Write(Matrix<double> laplacian)
    {
        if (Count != 1) throw new InvalidOperationException($"SparseLaplacian.Write: one matrix at a time, this holds {Count}");
        if (laplacian.RowCount != Rows || laplacian.ColumnCount != Rows)
            throw new ArgumentException($"SparseLaplacian.Write: expected a [{Rows}, {Rows}] Laplacian, got [{laplacian.RowCount}, {laplacian.ColumnCount}]");
        var entries = ColumnMajor.Of(laplacian);
        // Counted, then placed, both in storage order (column by column): row r's entries come out in column order.
        var starts = new int[Rows + 1];
        for (int i = 0; i < entries.Length; i++)
            if (entries[i] != 0) starts[i % Rows + 1]++;
        for (int r = 0; r < Rows; r++) starts[r + 1] += starts[r];
        if (starts[Rows] > Capacity)
            throw new InvalidOperationException(
                $"SparseLaplacian.Write: {starts[Rows]} entries for the room of {Capacity} ([{Rows}, {Rows}]): not a kNN graph's Laplacian");
        var columns = new int[Capacity];
        var values = new float[Capacity];
        var next = starts[..Rows];
        for (int c = 0; c < Rows; c++)
            for (int r = 0; r < Rows; r++)
            {
                double v = entries[c * Rows + r];
                if (v == 0) continue;
                columns[next[r]] = c;
                values[next[r]++] = (float)v;
            }
        _starts.Device.Write(_starts.DataSlice, starts.AsSpan());
        _columns.Device.Write(_columns.DataSlice, columns.AsSpan());
        DeviceMath.Write(_values, values);
    }

    /// <summary>L X (a new tensor) for X of [Count, Rows, n], or [Rows, n] for a single matrix.</summary>
    public Tensor Multiply(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        bool single = x.Rank == 2;
        if (!(single ? Count == 1 && x.Size(0) == Rows : x.Rank == 3 && x.Size(0) == Count && x.Size(1) == Rows))
            throw new ArgumentException($"SparseLaplacian.Multiply: {Count} Laplacians of [{Rows}, {Rows}] cannot multiply {x}");
        if (x.DType != DType.Float32 || !ReferenceEquals(x.Device, _values.Device))
            throw new ArgumentException($"SparseLaplacian.Multiply: needs fp32 on device '{_values.Device.Id}', got {x.DType} on '{x.Device.Id}'");
        int cols = x.Size(x.Rank - 1);
        using var dense = x.Contiguous();
        var output = Tensor.AllocateForOutput(x.Device, x.Shape);
        x.Device.SparseMatMul(new SparseMatMulSpec(Count, Rows, Rows, cols, Capacity), _starts.DataSlice, _columns.DataSlice,
                              _values.DataSlice, dense.DataSlice, output.DataSlice);
        return output;
    }

    public void Dispose()
    {
        _starts.Dispose();
        _columns.Dispose();
        _values.Dispose();
    }
}
