using Engine.Kernels.Cpu;

namespace Engine.Kernels.Fusion;

/// <summary>
/// Runs compiled row kernels over a launch's index space on the CPU. The space is cut into fixed chunks
/// (<see cref="ChunkElements"/> elements, or whole rows adding up to about that): chunks run in parallel when
/// there are several, and reduce phases keep one double partial per chunk, summed in chunk order, so results
/// do not depend on the number of threads.
/// </summary>
internal sealed unsafe class CpuPhaseRunner
{
    public const long ChunkElements = 1 << 16;

    private readonly LaunchLayout _layout;
    private readonly nint[] _inputs;
    private readonly nint[] _outputs;
    private readonly float[] _parameters;
    private readonly long _rowsPerChunk;
    private readonly int[] _inputSizes;
    private readonly int[] _outputSizes;

    /// <param name="inputSizes">Bytes per element of each input (4, or 2 for bfloat16), and likewise <paramref name="outputSizes"/>.</param>
    public CpuPhaseRunner(LaunchLayout layout, nint[] inputs, nint[] outputs, float[] parameters, int[] inputSizes, int[] outputSizes)
    {
        _layout = layout;
        _inputSizes = inputSizes;
        _outputSizes = outputSizes;
        _inputs = inputs;
        _outputs = outputs;
        _parameters = parameters;
        if (layout.Rank == 1)
            ChunkCount = (layout.Count + ChunkElements - 1) / ChunkElements;
        else
        {
            _rowsPerChunk = Math.Max(1, ChunkElements / layout.RowLength);
            ChunkCount = (layout.Rows + _rowsPerChunk - 1) / _rowsPerChunk;
        }
    }

    public long ChunkCount { get; }

    public void Map(CpuRowKernel kernel)
    {
        if (ChunkCount == 1) RunChunk(kernel, 0, null);
        else CpuWorkers.For(ChunkCount, c => RunChunk(kernel, c, null));
    }

    /// <summary>Runs a reduce level; <paramref name="isSum"/>[j] tells a sum (start 0) from a max (start -inf).</summary>
    public double[] Reduce(CpuRowKernel kernel, bool[] isSum)
    {
        int r = isSum.Length;
        var partials = new double[ChunkCount * r];
        void Chunk(long c)
        {
            double* p = stackalloc double[r];
            for (int j = 0; j < r; j++) p[j] = isSum[j] ? 0 : double.NegativeInfinity;
            RunChunk(kernel, c, p);
            for (int j = 0; j < r; j++) partials[c * r + j] = p[j];
        }
        if (ChunkCount <= 1) { if (ChunkCount == 1) Chunk(0); }
        else CpuWorkers.For(ChunkCount, Chunk);

        var totals = isSum.Select(s => s ? 0 : double.NegativeInfinity).ToArray();
        for (long c = 0; c < ChunkCount; c++)
            for (int j = 0; j < r; j++)
                totals[j] = isSum[j] ? totals[j] + partials[c * r + j] : Math.Max(totals[j], partials[c * r + j]);
        return totals;
    }

    private void RunChunk(CpuRowKernel kernel, long chunk, double* partials)
    {
        int n = _inputs.Length, m = _outputs.Length;
        nint* ins = stackalloc nint[Math.Max(1, n)];
        nint* outs = stackalloc nint[Math.Max(1, m)];
        var layout = _layout;
        // Each input's stride along the row, then (K, σ_a, σ_b) per contraction.
        long* strides = stackalloc long[n + 3 * layout.Contractions.Length + 1];
        for (int i = 0; i < n; i++) strides[i] = layout.Strides[i][^1];
        for (int j = 0; j < layout.Contractions.Length; j++)
        {
            var c = layout.Contractions[j];
            strides[n + 3 * j] = c.Length;
            strides[n + 3 * j + 1] = c.StrideA;
            strides[n + 3 * j + 2] = c.StrideB;
        }
        fixed (float* parameters = _parameters)
        {
            if (layout.Rank == 1)
            {
                long start = chunk * ChunkElements, length = Math.Min(ChunkElements, layout.Count - start);
                for (int i = 0; i < n; i++) ins[i] = _inputs[i] + (nint)(start * strides[i] * _inputSizes[i]);
                for (int o = 0; o < m; o++) outs[o] = _outputs[o] + (nint)(start * _outputSizes[o]);
                kernel((nint)ins, (nint)strides, (nint)outs, (nint)parameters, length, (nint)partials);
                return;
            }
            int outer = layout.Rank - 1;
            long first = chunk * _rowsPerChunk, last = Math.Min(layout.Rows, first + _rowsPerChunk);
            long* index = stackalloc long[outer];
            long rest = first;
            for (int d = outer - 1; d >= 0; d--) { index[d] = rest % layout.Shape[d]; rest /= layout.Shape[d]; }
            for (long row = first; row < last; row++)
            {
                for (int i = 0; i < n; i++)
                {
                    long offset = 0;
                    for (int d = 0; d < outer; d++) offset += index[d] * layout.Strides[i][d];
                    ins[i] = _inputs[i] + (nint)(offset * _inputSizes[i]);
                }
                for (int o = 0; o < m; o++) outs[o] = _outputs[o] + (nint)(row * layout.RowLength * _outputSizes[o]);
                kernel((nint)ins, (nint)strides, (nint)outs, (nint)parameters, layout.RowLength, (nint)partials);
                for (int d = outer - 1; d >= 0 && ++index[d] == layout.Shape[d]; d--) index[d] = 0;
            }
        }
    }
}
