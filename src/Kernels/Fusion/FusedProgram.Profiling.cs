using Engine.Kernels.Devices;
using Engine.Kernels.Profiling;

namespace Engine.Kernels.Fusion;

/// <summary>
/// What each phase of a program is called in <see cref="KernelProfiler"/> records, and what it moves and computes.
/// Names are the same on every backend: "fused:NAME" for the map phase, "fused:NAME:reduceL" for reduce level L (and,
/// on GPU backends, "fused:NAME:finalizeL" for the kernel that folds its partial sums).
/// </summary>
public sealed partial class FusedProgram
{
    // Built once: a launch passes its names whether or not the profiler is on.
    private string[]? _reduceProfileNames;
    private string[]? _finalizeProfileNames;

    /// <summary>Profiler name of the map phase (the one that writes the outputs).</summary>
    public string ProfileName => field ??= $"fused:{Name}";

    /// <summary>Profiler name of reduce level <paramref name="level"/> (1-based).</summary>
    public string ReduceProfileName(int level) => LevelName(ref _reduceProfileNames, "reduce", level);

    /// <summary>Profiler name of the GPU kernel that folds level <paramref name="level"/>'s partial sums.</summary>
    public string FinalizeProfileName(int level) => LevelName(ref _finalizeProfileNames, "finalize", level);

    private string LevelName(ref string[]? names, string phase, int level)
    {
        if (level < 1 || level > ReductionLevels)
            throw new ArgumentOutOfRangeException(nameof(level), level, $"program '{Name}' has reduce levels 1..{ReductionLevels}");
        names ??= Enumerable.Range(1, ReductionLevels).Select(l => $"{ProfileName}:{phase}{l}").ToArray();
        return names[level - 1];
    }

    /// <summary>
    /// The map phase's minimal traffic and arithmetic: each input it reads, once per distinct element (a broadcast
    /// input is read once per value, not once per index), each output written once; one flop per operation on
    /// per-element values (two for a fused multiply-add, 2K for a contraction of K terms). The term of a gate whose
    /// coefficient <paramref name="uniformValue"/> knows to be 0 for this launch is not read (see <see cref="Fx.Gate"/>).
    /// </summary>
    /// <param name="uniformValue">A node's value where it is the same at every element and known to the host, else null.</param>
    internal KernelWork MapWork(LaunchLayout layout, Func<int, float?> uniformValue)
    {
        var need = Reads(_graph.OutputNodes, expandRoots: false, uniformValue);
        long bytes = _graph.OutputBytesPerElement * layout.Count + InputBytes(layout, need);
        return new KernelWork(bytes, (double)FlopsPerElement(need, layout) * layout.Count);
    }

    /// <summary>Reduce level <paramref name="level"/>: the inputs its reductions read, once, plus one add (or max) per element.</summary>
    internal KernelWork ReduceWork(LaunchLayout layout, int level, Func<int, float?> uniformValue)
    {
        var ks = _graph.ReductionsOfLevel(level);
        var need = Reads(ks.Select(k => _graph.ReductionNodes[k]).ToArray(), expandRoots: true, uniformValue);
        long bytes = InputBytes(layout, need) + ks.Length * sizeof(float);
        return new KernelWork(bytes, (double)(FlopsPerElement(need, layout) + ks.Length) * layout.Count);
    }

    /// <summary>GPU finalize of level <paramref name="level"/>: reads every work-group's partials, writes the level's values.</summary>
    internal KernelWork FinalizeWork(int level, int groups)
    {
        long count = _graph.ReductionsOfLevel(level).Length;
        return new KernelWork((groups * count + count) * sizeof(float), (double)groups * count);
    }

    /// <summary>
    /// The nodes a phase evaluates: those its roots need, less the blocks of the skipping gates that are off (the same
    /// scopes the kernels are built from: a term node shared with the rest of the program is evaluated anyway).
    /// </summary>
    private bool[] Reads(int[] roots, bool expandRoots, Func<int, float?> uniformValue)
    {
        var need = _graph.Needed(roots, expandRoots);
        var scopes = _graph.GateScopes(roots, expandRoots);
        for (int id = 0; id < need.Length; id++)
            if (scopes[id] >= 0 && uniformValue(_graph.Nodes[scopes[id]].A) == 0f) need[id] = false;
        return need;
    }

    /// <summary>
    /// A node's value for the whole launch where the host knows it without waiting for the device: a constant, a scalar
    /// parameter, or what <paramref name="deviceValue"/> gives for a reduction or broadcast input (null: unknown).
    /// </summary>
    private float? UniformValue(int id, IReadOnlyList<float> scalars, Func<FusedNode, float?> deviceValue)
    {
        var n = _graph.Nodes[id];
        return n.Op switch
        {
            FxOp.Constant => n.Value,
            FxOp.Scalar => scalars[n.Index],
            FxOp.Input or FxOp.Sum or FxOp.MaxReduce => deviceValue(n),
            _ => null,
        };
    }

    /// <summary>Bytes of the needed inputs' distinct elements: the product of the dimensions each one actually walks.</summary>
    private long InputBytes(LaunchLayout layout, bool[] need)
    {
        if (layout.Count == 0) return 0;
        long total = 0;
        for (int id = 0; id < need.Length; id++)
        {
            var node = _graph.Nodes[id];
            if (!need[id] || node.Op != FxOp.Input) continue;
            long distinct = 1;
            var strides = layout.Strides[node.Index];
            for (int d = 0; d < layout.Rank; d++)
                if (strides[d] != 0) distinct *= layout.Shape[d];
            total += distinct * ContractionLength(node.Index, layout) * _graph.InputSizes[node.Index];
        }
        return total;
    }

    /// <summary>The terms a contraction reads per element of input <paramref name="input"/> (1 for an input read plainly).</summary>
    private long ContractionLength(int input, LaunchLayout layout)
    {
        if (!_graph.ContractedInputs[input]) return 1;
        foreach (var id in _graph.ContractionNodes)
        {
            var n = _graph.Nodes[id];
            if (_graph.Nodes[n.A].Index == input || _graph.Nodes[n.B].Index == input) return layout.Contractions[n.Index].Length;
        }
        return 1;
    }

    /// <summary>Operations on values that differ per element; those on scalars and constants alone are left out.</summary>
    private long FlopsPerElement(bool[] need, LaunchLayout layout)
    {
        var varies = new bool[need.Length];
        long flops = 0;
        for (int id = 0; id < need.Length; id++)
        {
            var node = _graph.Nodes[id];
            if (node.Op == FxOp.Input) { varies[id] = true; continue; }
            if (FxOpInfo.IsReduction(node.Op)) continue; // a known value in this phase
            for (int k = 0; k < FxOpInfo.Arity(node.Op); k++) varies[id] |= varies[node.Operand(k)];
            if (need[id] && varies[id])
                flops += node.Op switch
                {
                    FxOp.Fma => 2,
                    FxOp.Contract => 2 * layout.Contractions[node.Index].Length,
                    _ => 1,
                };
        }
        return flops;
    }
}
