using System.Text;

namespace Engine.Kernels.Fusion;

/// <summary>
/// A compiled elementwise/reduction expression (see <see cref="FusionBuilder"/>). Runs as up to
/// (reduction levels × 2 + 1) phases: for each level of reductions a partial pass and a finalize, then one map
/// pass that writes every output. Reduced values stay on the device between phases.
/// Reductions that read other reductions are allowed: they run one level after what they read.
/// </summary>
public sealed partial class FusedProgram
{
    private readonly FusionGraph _graph;

    internal FusedProgram(FusionGraph graph)
    {
        _graph = graph;
        InputCount = graph.InputNames.Length;
        OutputCount = graph.OutputNodes.Length;
        ScalarCount = graph.ScalarNames.Length;
        ReductionCount = graph.ReductionNodes.Length;
    }

    public int InputCount { get; }
    public int OutputCount { get; }
    public int ScalarCount { get; }
    public int ReductionCount { get; }

    /// <summary>The builder's name: profiles label the program's launches with it.</summary>
    public string Name => _graph.Name;

    /// <summary>Structural hash: equal for programs of equal structure; scalar values do not enter it.</summary>
    public ulong Hash => _graph.Hash;

    public IReadOnlyList<string> InputNames => _graph.InputNames;

    /// <summary>How each input's buffer holds its values (a launch's offsets count elements of this type).</summary>
    public IReadOnlyList<Devices.DType> InputStorage => _graph.InputStorage;

    /// <summary>How each output's buffer holds its values.</summary>
    public IReadOnlyList<Devices.DType> OutputStorage => _graph.OutputStorage;
    public IReadOnlyList<string> ScalarNames => _graph.ScalarNames;
    public IReadOnlyList<string> OutputNames => field ??= _graph.Outputs.Select(o => o.Name).ToArray();

    /// <summary>Reduction names in program order (the order of <see cref="FusedLaunch.Reductions"/>).</summary>
    public IReadOnlyList<string> ReductionNames => _graph.ReductionNames;

    /// <summary>Number of reduce levels: 0 without reductions, 2 when a reduction reads another, ...</summary>
    public int ReductionLevels => _graph.LevelCount;

    internal FusionGraph Graph => _graph;

    /// <summary>Kernel and source-file stem: fused_&lt;name&gt;_&lt;first 8 hex digits of the hash&gt;.</summary>
    internal string KernelStem
    {
        get
        {
            var safe = new string(Name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
            return $"fused_{safe}_{Hash >> 32:x8}";
        }
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(Name).Append('(').AppendJoin(", ", _graph.InputNames);
        if (ScalarCount > 0) sb.Append(" | ").AppendJoin(", ", _graph.ScalarNames);
        sb.Append(')');
        for (int k = 0; k < ReductionCount; k++)
            sb.Append("\n  ").Append(_graph.ReductionNames[k]).Append(" := ")
              .Append(FormatNode(_graph.ReductionNodes[k]));
        foreach (var (name, value) in _graph.Outputs)
            sb.Append("\n  ").Append(name).Append(" = ").Append(value);
        return sb.ToString();
    }

    /// <summary>Turns node <paramref name="id"/> back into an expression tree for printing.</summary>
    private Expr FormatNode(int id)
    {
        var n = _graph.Nodes[id];
        return n.Op switch
        {
            FxOp.Input => new Expr(FxOp.Input, [], index: n.Index, name: _graph.InputNames[n.Index]),
            FxOp.Scalar => new Expr(FxOp.Scalar, [], index: n.Index, name: _graph.ScalarNames[n.Index]),
            FxOp.Constant => new Expr(FxOp.Constant, [], n.Value),
            _ => new Expr(n.Op, Enumerable.Range(0, FxOpInfo.Arity(n.Op)).Select(k => FormatNode(n.Operand(k))).ToArray()),
        };
    }
}
