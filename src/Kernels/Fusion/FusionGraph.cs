using System.Text;
using Engine.Kernels.Devices;

namespace Engine.Kernels.Fusion;

/// <summary>
/// The canonical form of a built program: structurally equal subexpressions merged into one node
/// (hash-consing), nodes numbered by a depth-first walk of the roots (declared reductions, then outputs),
/// and a structure key that equal programs share whatever their names.
/// </summary>
internal sealed class FusionGraph
{
    private FusionGraph(string name, FusedNode[] nodes, string[] inputNames, string[] scalarNames,
                        (string Name, Expr Value)[] outputs, int[] outputNodes,
                        string[] reductionNames, int[] reductionNodes, int[] reductionLevels, int[] contractionNodes,
                        DType[] inputStorage, DType[] outputStorage)
    {
        InputStorage = inputStorage;
        OutputStorage = outputStorage;
        InputSizes = Array.ConvertAll(inputStorage, d => d.Size());
        OutputSizes = Array.ConvertAll(outputStorage, d => d.Size());
        OutputBytesPerElement = OutputSizes.Sum();
        ContractionNodes = contractionNodes;
        ContractedInputs = new bool[inputNames.Length];
        foreach (var id in contractionNodes)
        {
            ContractedInputs[nodes[nodes[id].A].Index] = true;
            ContractedInputs[nodes[nodes[id].B].Index] = true;
        }
        Name = name;
        Nodes = nodes;
        InputNames = inputNames;
        ScalarNames = scalarNames;
        Outputs = outputs;
        OutputNodes = outputNodes;
        ReductionNames = reductionNames;
        ReductionNodes = reductionNodes;
        ReductionLevels = reductionLevels;
        LevelCount = reductionLevels.Length == 0 ? 0 : reductionLevels.Max();
        StructureKey = BuildKey();
        Hash = Fnv1a(StructureKey);
    }

    public string Name { get; }
    public FusedNode[] Nodes { get; }
    public string[] InputNames { get; }

    /// <summary>Per input and per output: how its buffer holds the values (Float32 or BFloat16).</summary>
    public DType[] InputStorage { get; }
    public DType[] OutputStorage { get; }

    /// <summary>Bytes per element of each input and output (from their storage), and of all outputs together.</summary>
    public int[] InputSizes { get; }
    public int[] OutputSizes { get; }
    public int OutputBytesPerElement { get; }
    public string[] ScalarNames { get; }
    public (string Name, Expr Value)[] Outputs { get; }
    public int[] OutputNodes { get; }

    /// <summary>Per reduction (program order): its name, node id and level (1 = reads no other reduction).</summary>
    public string[] ReductionNames { get; }
    public int[] ReductionNodes { get; }
    public int[] ReductionLevels { get; }
    public int LevelCount { get; }

    /// <summary>Node ids of the <see cref="FxOp.Contract"/> nodes, in program order (their Index is their position).</summary>
    public int[] ContractionNodes { get; }

    /// <summary>Per input: whether it is an operand of a contraction (and so read only there, at launch-given strides).</summary>
    public bool[] ContractedInputs { get; }

    public string StructureKey { get; }
    public ulong Hash { get; }

    public static FusionGraph Create(FusionBuilder owner, List<Expr> inputs, List<Expr> scalars,
                                     List<(string Name, Expr Value)> outputs, List<(string Name, Expr Value)> reductions,
                                     List<DType> inputStorage, List<DType> outputStorage)
    {
        var builder = new Canonicalizer(owner);
        var declared = new Dictionary<int, string>();
        foreach (var (name, value) in reductions)
            declared.TryAdd(builder.Visit(value), name);
        var outputNodes = outputs.Select(o => builder.Visit(o.Value)).ToArray();

        var nodes = builder.Nodes.ToArray();
        var reductionNodes = new List<int>();
        var contractionNodes = new List<int>();
        var level = new int[nodes.Length];
        for (int id = 0; id < nodes.Length; id++)
        {
            var n = nodes[id];
            int below = 0;
            for (int k = 0; k < FxOpInfo.Arity(n.Op); k++) below = Math.Max(below, level[n.Operand(k)]);
            level[id] = FxOpInfo.IsReduction(n.Op) ? below + 1 : below;
            if (FxOpInfo.IsReduction(n.Op))
            {
                nodes[id] = n with { Index = reductionNodes.Count };
                reductionNodes.Add(id);
            }
            if (n.Op == FxOp.Contract)
            {
                nodes[id] = n with { Index = contractionNodes.Count };
                contractionNodes.Add(id);
            }
        }
        CheckContractedInputs(owner.Name, nodes, outputNodes, inputs, inputStorage);
        var names = reductionNodes.Select((id, k) => declared.TryGetValue(id, out var s) ? s : $"r{k}").ToArray();
        return new FusionGraph(owner.Name, nodes,
            inputs.Select(i => i.Name!).ToArray(), scalars.Select(s => s.Name!).ToArray(),
            outputs.ToArray(), outputNodes, names, reductionNodes.ToArray(),
            reductionNodes.Select(id => level[id]).ToArray(), contractionNodes.ToArray(),
            inputStorage.ToArray(), outputStorage.ToArray());
    }

    /// <summary>
    /// An operand of a contraction is read at launch-given strides, so it must be that contraction's alone: no other node,
    /// output or operand slot may read the same input (the launch checks each operand's reach against its buffer).
    /// </summary>
    private static void CheckContractedInputs(string program, FusedNode[] nodes, int[] outputNodes, List<Expr> inputs,
                                              List<DType> storage)
    {
        var slots = nodes.Where(n => n.Op == FxOp.Contract).SelectMany(n => new[] { n.A, n.B }).ToList();
        foreach (var id in slots.Distinct())
        {
            bool elsewhere = slots.Count(s => s == id) > 1 || outputNodes.Contains(id)
                || nodes.Any(n => n.Op != FxOp.Contract && Enumerable.Range(0, FxOpInfo.Arity(n.Op)).Any(k => n.Operand(k) == id));
            if (elsewhere)
                throw new ArgumentException(
                    $"program '{program}': input '{inputs[nodes[id].Index].Name}' is an operand of contract, so nothing else may read it " +
                    "(declare one input per operand, even over the same buffer)");
            if (storage[nodes[id].Index] != DType.Float32)
                throw new ArgumentException(
                    $"program '{program}': input '{inputs[nodes[id].Index].Name}' is an operand of contract, which reads Float32 only");
        }
    }

    /// <summary>
    /// Which of the nodes <paramref name="roots"/> need a kernel evaluates only inside a gate's conditional block: per node, the
    /// id of the gate (<see cref="FxOp.Gate"/>) whose term alone needs it, else −1. Gates reached outside every term are
    /// the ones that skip; a node that two of them need, or that something outside needs, stays outside (with its
    /// operands), so a skipped block never leaves a value another statement reads.
    /// </summary>
    public int[] GateScopes(IEnumerable<int> roots, bool expandRoots)
    {
        var scope = new int[Nodes.Length];
        Array.Fill(scope, -1);
        if (!Nodes.Any(n => n.Op == FxOp.Gate)) return scope;
        var start = Roots(roots, expandRoots).ToList();
        var forcedOutside = new HashSet<int>();
        while (true)
        {
            var outside = Reach(start.Concat(forcedOutside), cutGateTerms: true);
            Array.Fill(scope, -1);
            var shared = new HashSet<int>();
            for (int gate = 0; gate < Nodes.Length; gate++)
            {
                if (!outside[gate] || Nodes[gate].Op != FxOp.Gate) continue;
                // The term's nodes that are not evaluated outside anyway (the walk stops at those: an outside gate's
                // own term is that gate's alone to claim).
                var stack = new Stack<int>([Nodes[gate].B]);
                while (stack.Count > 0)
                {
                    int id = stack.Pop();
                    if (outside[id] || scope[id] == gate) continue;
                    if (scope[id] >= 0) shared.Add(id);
                    scope[id] = gate;
                    if (FxOpInfo.IsReduction(Nodes[id].Op)) continue;
                    for (int k = 0; k < FxOpInfo.Arity(Nodes[id].Op); k++) stack.Push(Nodes[id].Operand(k));
                }
            }
            if (shared.Count == 0) return scope;
            forcedOutside.UnionWith(shared);
        }
    }

    /// <summary>Node ids needed to evaluate <paramref name="roots"/>, reductions treated as leaves (their value is known).</summary>
    public bool[] Needed(IEnumerable<int> roots, bool expandRoots) => Reach(Roots(roots, expandRoots), cutGateTerms: false);

    /// <summary>The roots to walk from: with <paramref name="expandRoots"/>, a reduction root stands for its operand (a reduce phase computes it).</summary>
    private IEnumerable<int> Roots(IEnumerable<int> roots, bool expandRoots) =>
        roots.Select(r => expandRoots && FxOpInfo.IsReduction(Nodes[r].Op) ? Nodes[r].A : r);

    private bool[] Reach(IEnumerable<int> roots, bool cutGateTerms)
    {
        var need = new bool[Nodes.Length];
        var stack = new Stack<int>(roots);
        while (stack.Count > 0)
        {
            int id = stack.Pop();
            if (need[id]) continue;
            need[id] = true;
            var n = Nodes[id];
            if (FxOpInfo.IsReduction(n.Op)) continue;
            bool termCut = n.Op == FxOp.Gate && cutGateTerms;
            for (int k = 0; k < FxOpInfo.Arity(n.Op); k++)
                if (!(termCut && k == 1)) stack.Push(n.Operand(k));
        }
        return need;
    }

    /// <summary>Reduction positions of one level, in program order.</summary>
    public int[] ReductionsOfLevel(int level) =>
        Enumerable.Range(0, ReductionNodes.Length).Where(k => ReductionLevels[k] == level).ToArray();

    private string BuildKey()
    {
        var sb = new StringBuilder();
        sb.Append("in").Append(InputNames.Length).Append(";sc").Append(ScalarNames.Length).Append(';');
        // Storage changes the code (loads, stores, element sizes), so it is part of the structure.
        sb.Append("ist:").AppendJoin(',', InputStorage.Select(d => (int)d)).Append(";ost:").AppendJoin(',', OutputStorage.Select(d => (int)d)).Append(';');
        foreach (var n in Nodes)
            sb.Append((int)n.Op).Append(',').Append(n.A).Append(',').Append(n.B).Append(',').Append(n.C).Append(',')
              .Append(BitConverter.SingleToInt32Bits(n.Value)).Append(',').Append(n.Index).Append(';');
        sb.Append("out:").AppendJoin(',', OutputNodes).Append(";red:").AppendJoin(',', ReductionNodes);
        return sb.ToString();
    }

    private static ulong Fnv1a(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s) { h ^= c; h *= 1099511628211UL; }
        return h;
    }

    private sealed class Canonicalizer(FusionBuilder owner)
    {
        private readonly Dictionary<Expr, int> _seen = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<(FxOp, int, int, int, int, int), int> _unique = [];
        public List<FusedNode> Nodes { get; } = [];

        public int Visit(Expr e)
        {
            if (_seen.TryGetValue(e, out int known)) return known;
            if (e.Op is FxOp.Input or FxOp.Scalar && !ReferenceEquals(e.Owner, owner))
                throw new ArgumentException(
                    $"program '{owner.Name}': {FxOpInfo.Name(e.Op)} '{e.Name}' was declared by program '{e.Owner?.Name}', not by this builder");
            int a = -1, b = -1, c = -1;
            if (e.Args.Count > 0) a = Visit(e.Args[0]);
            if (e.Args.Count > 1) b = Visit(e.Args[1]);
            if (e.Args.Count > 2) c = Visit(e.Args[2]);
            var key = (e.Op, a, b, c, BitConverter.SingleToInt32Bits(e.Value), e.Index);
            if (!_unique.TryGetValue(key, out int id))
            {
                id = Nodes.Count;
                Nodes.Add(new FusedNode(e.Op, a, b, c, e.Value, e.Index));
                _unique.Add(key, id);
            }
            _seen.Add(e, id);
            return id;
        }
    }
}
