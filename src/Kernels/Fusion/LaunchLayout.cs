using Engine.Kernels.Devices;

namespace Engine.Kernels.Fusion;

/// <summary>
/// A checked launch with its index space simplified: size-1 dimensions dropped and neighbouring dimensions
/// merged wherever every input walks them as one (outputs are dense, so they always do). A dense launch
/// ends as rank 1 with every input stride 1.
/// </summary>
internal sealed class LaunchLayout
{
    public const int MaxRank = 8;

    private LaunchLayout(long count, long[] shape, long[][] strides)
    {
        Count = count;
        Contractions = [];
        Shape = shape;
        Strides = strides;
    }

    public long Count { get; }

    /// <summary>Collapsed shape, rank ≥ 1, row-major (last dimension innermost).</summary>
    public long[] Shape { get; }

    /// <summary>Per input, its strides over <see cref="Shape"/>.</summary>
    public long[][] Strides { get; }

    /// <summary>Per contraction of the program (program order), its extent and strides.</summary>
    public Contraction[] Contractions { get; private set; }

    public int Rank => Shape.Length;
    public long RowLength => Shape[^1];
    public long Rows => Count / Math.Max(1, RowLength);

    public bool IsDense => Rank == 1 && Strides.All(s => s[0] == 1);

    public static LaunchLayout Create(FusedProgram program, FusedLaunch launch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        var shape = launch.Shape ?? throw new ArgumentException($"program '{program.Name}': the launch has no shape");
        // Messages are formatted only when a check fails: this runs on every fused launch, where formatting them
        // eagerly was a measurable part of a GPU launch's host time.
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"{Where(program)}: launch shape {Show(shape)} has a negative dimension");
        long count = launch.Count;
        CheckCount(program, "inputs", program.InputCount, launch.Inputs?.Length, program.InputNames);
        CheckCount(program, "outputs", program.OutputCount, launch.Outputs?.Length, program.OutputNames);
        CheckCount(program, "scalars", program.ScalarCount, launch.Scalars?.Length, program.ScalarNames);

        var contractions = CheckContractions(program, launch);
        var reach = new long[program.InputCount];
        foreach (var (node, c) in program.Graph.ContractionNodes.Zip(contractions))
        {
            var n = program.Graph.Nodes[node];
            reach[program.Graph.Nodes[n.A].Index] = Reach(program, c.Length, c.StrideA);
            reach[program.Graph.Nodes[n.B].Index] = Reach(program, c.Length, c.StrideB);
        }
        for (int i = 0; i < program.InputCount; i++)
            CheckInput(program, i, launch.Inputs![i], shape, count, reach[i]);
        for (int o = 0; o < program.OutputCount; o++)
            CheckDense(program, o, launch.Outputs![o], count, program.OutputStorage[o]);
        if (launch.Reductions is { } red && program.ReductionCount > 0)
            CheckDense(program, ReductionsSlice, red, program.ReductionCount, DType.Float32);

        var layout = Collapse(count, shape, launch.Inputs!.Select(s => s.Strides).ToArray());
        layout.Contractions = contractions;
        return layout;
    }

    private static string Where(FusedProgram program) => $"program '{program.Name}'";

    /// <summary>How far past the element's position the last term is read: (K − 1)·σ, overflow refused.</summary>
    private static long Reach(FusedProgram program, long length, long stride)
    {
        try { return checked((length - 1) * stride); }
        catch (OverflowException)
        {
            throw new ArgumentException($"{Where(program)}: a contraction of {length} terms with stride {stride} reaches past any buffer");
        }
    }

    private static Contraction[] CheckContractions(FusedProgram program, FusedLaunch launch)
    {
        int expected = program.Graph.ContractionNodes.Length;
        var given = launch.Contractions ?? [];
        if (given.Length != expected)
            throw new ArgumentException($"{Where(program)} has {expected} contractions, the launch describes {given.Length}");
        foreach (var c in given)
            if (c.Length < 1)
                throw new ArgumentException($"{Where(program)}: a contraction needs at least one term, the launch gives {c.Length}");
        return given;
    }

    private static LaunchLayout Collapse(long count, long[] shape, long[][] strides)
    {
        int inputs = strides.Length;
        var dims = new List<long>();
        var st = Enumerable.Range(0, inputs).Select(_ => new List<long>()).ToArray();
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            bool merge = dims.Count > 0;
            for (int i = 0; i < inputs && merge; i++)
                merge = st[i][^1] == strides[i][d] * shape[d];
            if (merge)
            {
                dims[^1] *= shape[d];
                for (int i = 0; i < inputs; i++) st[i][^1] = strides[i][d];
            }
            else
            {
                dims.Add(shape[d]);
                for (int i = 0; i < inputs; i++) st[i].Add(strides[i][d]);
            }
        }
        if (dims.Count == 0 || count == 0)
            return new LaunchLayout(count, [count], st.Select(_ => new long[] { 1 }).ToArray());
        return new LaunchLayout(count, dims.ToArray(), st.Select(s => s.ToArray()).ToArray());
    }

    private static void CheckCount(FusedProgram program, string what, int expected, int? actual, IReadOnlyList<string> names)
    {
        if (actual is null)
            throw new ArgumentException($"{Where(program)}: the launch has no {what} array; expected {expected} ({string.Join(", ", names)})");
        if (actual != expected)
            throw new ArgumentException(
                $"{Where(program)} expects {expected} {what} ({string.Join(", ", names)}), the launch passes {actual}");
    }

    /// <param name="reach">How far past the element's position a contraction reads this input (0: it does not).</param>
    private static void CheckInput(FusedProgram program, int i, StridedSlice s, long[] shape, long count, long reach)
    {
        string What() => $"{Where(program)}: input {i} ('{program.InputNames[i]}')";
        if (s.Buffer is null) throw new ArgumentException($"{What()} has no buffer");
        s.Buffer.ThrowIfDisposed();
        if (s.Shape is null || !s.Shape.AsSpan().SequenceEqual(shape))
            throw new ArgumentException($"{What()} has shape {Show(s.Shape)}, expected the launch shape {Show(shape)}");
        if (s.Strides is null || s.Strides.Length != shape.Length)
            throw new ArgumentException($"{What()} has {s.Strides?.Length ?? 0} strides for rank {shape.Length}");
        if (count == 0) return;
        long lo = s.Offset, hi = s.Offset;
        for (int d = 0; d < shape.Length; d++)
        {
            long span = s.Strides[d] * (shape[d] - 1);
            if (span < 0) lo += span; else hi += span;
        }
        if (reach < 0) lo += reach; else hi += reach;
        var storage = program.InputStorage[i];
        long capacity = Capacity(s.Buffer, storage);
        if (lo < 0 || hi >= capacity)
            throw new ArgumentOutOfRangeException(nameof(s),
                $"{What()} reaches elements [{lo}, {hi}] but its buffer holds {capacity} {storage} elements");
    }

    /// <summary><see cref="CheckDense"/>'s output index for the launch's reductions slice.</summary>
    private const int ReductionsSlice = -1;

    /// <param name="output">The output's index, or <see cref="ReductionsSlice"/>.</param>
    private static void CheckDense(FusedProgram program, int output, BufferSlice s, long count, DType storage)
    {
        string What() => $"{Where(program)}: " +
                         (output == ReductionsSlice ? "the reductions slice" : $"output {output} ('{program.OutputNames[output]}')");
        if (s.Buffer is null) throw new ArgumentException($"{What()} has no buffer");
        s.Buffer.ThrowIfDisposed();
        long capacity = Capacity(s.Buffer, storage);
        if (s.Offset < 0 || s.Offset + count > capacity)
            throw new ArgumentOutOfRangeException(nameof(s),
                $"{What()} needs elements [{s.Offset}, {s.Offset + count}) but its buffer holds {capacity} {storage} elements");
    }

    /// <summary>Elements of <paramref name="storage"/> a buffer of 4-byte units holds.</summary>
    private static long Capacity(DeviceBuffer buffer, DType storage) => buffer.Length * sizeof(float) / storage.Size();

    public static string Show(long[]? shape) => shape is null ? "(none)" : $"[{string.Join(", ", shape)}]";
}
