using System.Linq.Expressions;
using Engine.Kernels.Devices;
using static System.Linq.Expressions.Expression;

namespace Engine.Kernels.Fusion;

/// <summary>How a CPU kernel reads one input along the row it walks.</summary>
internal enum CpuInputMode : byte { Contiguous, Broadcast, Strided }

/// <summary>
/// One row of a phase: reads inputs[k] (already offset to the row start), writes outputs[k], and for a
/// reduce phase adds this row's sums (or maxima) into partials[j] (double). parameters = scalars, then reductions.
/// </summary>
internal delegate void CpuRowKernel(nint inputs, nint strides, nint outputs, nint parameters, long count, nint partials);

/// <summary>
/// Compiles one phase of a program (the map pass, or one reduce level) into a <see cref="CpuRowKernel"/>
/// with System.Linq.Expressions: a SIMD main loop (when every input is contiguous or broadcast), then a
/// float loop for the tail (or for the whole row when an input is strided). Sums accumulate in double (the SIMD loop's
/// after blocks of <see cref="BlockSteps"/> vectors in float).
/// </summary>
internal sealed class CpuKernelCompiler
{
    private readonly FusionGraph _graph;
    private readonly CpuVectorIsa _isa;
    private readonly int[] _outputNodes;
    private readonly int[] _reductions;
    private readonly CpuInputMode[] _modes;
    private readonly bool[] _needed;
    private readonly int[] _gateScope;

    private readonly ParameterExpression _inputs = Parameter(typeof(nint), "inputs");
    private readonly ParameterExpression _strides = Parameter(typeof(nint), "strides");
    private readonly ParameterExpression _outputs = Parameter(typeof(nint), "outputs");
    private readonly ParameterExpression _parameters = Parameter(typeof(nint), "parameters");
    private readonly ParameterExpression _count = Parameter(typeof(long), "count");
    private readonly ParameterExpression _partials = Parameter(typeof(nint), "partials");
    private readonly ParameterExpression _i = Variable(typeof(long), "i");

    private readonly List<ParameterExpression> _hoisted = [];
    private readonly List<Expression> _prologue = [];
    private readonly Dictionary<(bool, int), Expression> _constants = [];
    private ParameterExpression[] _outPtr = [];

    private readonly bool _streaming;
    private readonly Dictionary<int, (ParameterExpression Length, ParameterExpression StrideA, ParameterExpression StrideB)> _contraction = [];

    private CpuKernelCompiler(FusionGraph graph, CpuVectorIsa isa, int[] outputNodes, int[] reductions, CpuInputMode[] modes,
                              bool streaming)
    {
        _streaming = streaming;
        _graph = graph;
        _isa = isa;
        _outputNodes = outputNodes;
        _reductions = reductions;
        _modes = modes;
        var roots = reductions.Length > 0 ? reductions.Select(k => graph.ReductionNodes[k]).ToArray() : outputNodes;
        _needed = graph.Needed(roots, expandRoots: reductions.Length > 0);
        _gateScope = graph.GateScopes(roots, expandRoots: reductions.Length > 0);
    }

    /// <summary>
    /// Compiles the map pass (writes <paramref name="outputNodes"/>) or a reduce level (<paramref name="reductions"/>).
    /// <paramref name="streaming"/> stores outputs with non-temporal stores.
    /// </summary>
    public static CpuRowKernel Compile(FusionGraph graph, CpuVectorIsa isa, int[] outputNodes, int[] reductions,
                                       CpuInputMode[] modes, bool streaming) =>
        new CpuKernelCompiler(graph, isa, outputNodes, reductions, modes, streaming).Build();

    private ParameterExpression HoistLong(string name, int slot) =>
        Hoist(typeof(long), name, Call(typeof(CpuKernelMemory).GetMethod(nameof(CpuKernelMemory.LoadLong))!, _strides, Constant(slot)));

    private CpuRowKernel Build()
    {
        var inPtr = new ParameterExpression?[_graph.InputNames.Length];
        var inStride = new ParameterExpression?[inPtr.Length];
        var scalarLeaves = new Dictionary<int, ParameterExpression>();   // node id -> hoisted float
        for (int id = 0; id < _graph.Nodes.Length; id++)
        {
            if (!_needed[id]) continue;
            var n = _graph.Nodes[id];
            switch (n.Op)
            {
                case FxOp.Input:
                    inPtr[n.Index] = Hoist(typeof(nint), $"in{n.Index}",
                        Call(typeof(CpuKernelMemory).GetMethod(nameof(CpuKernelMemory.LoadPointer))!, _inputs, Constant(n.Index)));
                    if (_modes[n.Index] == CpuInputMode.Broadcast && !_graph.ContractedInputs[n.Index])
                        scalarLeaves[id] = Hoist(typeof(float), $"b{n.Index}", LoadScalar(inPtr[n.Index]!, Constant(0L), Bf16Input(n.Index)));
                    if (_modes[n.Index] == CpuInputMode.Strided)
                        inStride[n.Index] = Hoist(typeof(long), $"s{n.Index}",
                            Call(typeof(CpuKernelMemory).GetMethod(nameof(CpuKernelMemory.LoadLong))!, _strides, Constant(n.Index)));
                    break;
                case FxOp.Scalar or FxOp.Sum or FxOp.MaxReduce:
                    int slot = n.Op == FxOp.Scalar ? n.Index : _graph.ScalarNames.Length + n.Index;
                    scalarLeaves[id] = Hoist(typeof(float), $"p{slot}", LoadScalar(_parameters, Constant((long)slot)));
                    break;
                case FxOp.Contract:
                    // The runner appends (K, σ_a, σ_b) of each contraction to the stride table, after the inputs' strides.
                    int at = _graph.InputNames.Length + 3 * n.Index;
                    _contraction[n.Index] = (HoistLong($"ck{n.Index}", at), HoistLong($"ca{n.Index}", at + 1), HoistLong($"cb{n.Index}", at + 2));
                    break;
            }
        }
        var vectorLeaves = scalarLeaves.ToDictionary(kv => kv.Key,
            kv => (Expression)Hoist(_isa.Vector, kv.Value.Name + "v", Call(_isa.Exact("Create", typeof(float)), kv.Value)));

        _outPtr = _outputNodes.Select((_, o) => Hoist(typeof(nint), $"out{o}",
            Call(typeof(CpuKernelMemory).GetMethod(nameof(CpuKernelMemory.LoadPointer))!, _outputs, Constant(o)))).ToArray();
        bool vectorize = _modes.All(m => m != CpuInputMode.Strided);
        var body = new List<Expression> { Assign(_i, Constant(0L)) };
        var sumVars = new List<SumAccumulators>();
        var maxVars = new List<(ParameterExpression Vec, ParameterExpression Tail)>();
        foreach (var k in _reductions)
        {
            if (IsSum(k))
                sumVars.Add(new SumAccumulators(Hoist(_isa.DoubleVector, $"lo{k}", Default(_isa.DoubleVector)),
                                                Hoist(_isa.DoubleVector, $"hi{k}", Default(_isa.DoubleVector)),
                                                Hoist(_isa.Vector, $"f{k}", Default(_isa.Vector)),
                                                Hoist(typeof(double), $"t{k}", Constant(0.0))));
            else
                maxVars.Add((Hoist(_isa.Vector, $"mv{k}", Call(_isa.Exact("Create", typeof(float)), Constant(float.NegativeInfinity))),
                             Hoist(typeof(float), $"mt{k}", Constant(float.NegativeInfinity))));
        }

        if (vectorize)
        {
            var exit = Label("vector_done");
            var step = Body(vector: true, vectorLeaves, inPtr, inStride, sumVars, maxVars);
            if (sumVars.Count > 0)
            {
                // Sums gather BlockSteps vectors in float, then widen into the double accumulators: the widening is most
                // of the arithmetic of a reduce pass (two conversions and two adds per sum per vector), enough to make a
                // pass over three inputs compute-bound when this VM's cores slow down.
                var blockStep = Hoist(typeof(int), "block_step", Constant(0));
                step.Add(IfThen(Equal(PreIncrementAssign(blockStep), Constant(BlockSteps)),
                                Block(sumVars.Select(Flush).Append(Assign(blockStep, Constant(0))))));
            }
            step.Add(AddAssign(_i, Constant((long)_isa.Width)));
            body.Add(Loop(IfThenElse(GreaterThan(_i, Subtract(_count, Constant((long)_isa.Width))),
                                     Break(exit), Block(step)), exit));
            body.AddRange(sumVars.Select(Flush));
        }
        var tailExit = Label("tail_done");
        var tail = Body(vector: false, scalarLeaves.ToDictionary(kv => kv.Key, kv => (Expression)kv.Value), inPtr, inStride, sumVars, maxVars);
        tail.Add(PreIncrementAssign(_i));
        body.Add(Loop(IfThenElse(GreaterThanOrEqual(_i, _count), Break(tailExit), Block(tail)), tailExit));

        int s = 0, m = 0;
        for (int j = 0; j < _reductions.Length; j++)
        {
            if (IsSum(_reductions[j]))
            {
                var sum = sumVars[s++];
                var total = Add(Call(_isa.Generic("Sum", 1, typeof(double)), Add(sum.Lo, sum.Hi)), sum.Tail);
                body.Add(Call(typeof(CpuKernelMemory).GetMethod(nameof(CpuKernelMemory.AddPartial))!, _partials, Constant(j), total));
            }
            else
            {
                var (vec, t) = maxVars[m++];
                var total = Call(typeof(MathF).GetMethod("Max", [typeof(float), typeof(float)])!, Call(_isa.HorizontalMax, vec), t);
                body.Add(Call(typeof(CpuKernelMemory).GetMethod(nameof(CpuKernelMemory.MaxPartial))!, _partials, Constant(j), total));
            }
        }

        var all = new List<Expression>(_prologue);
        all.AddRange(body);
        var lambda = Lambda<CpuRowKernel>(Block(_hoisted.Append(_i), all),
            $"{_graph.Name}_cpu", [_inputs, _strides, _outputs, _parameters, _count, _partials]);
        return lambda.Compile();
    }

    /// <summary>
    /// A sum's accumulators: per-lane doubles (the lower and upper halves of a float vector), the float vector that gathers
    /// up to <see cref="BlockSteps"/> vectors between widenings, and a double for the scalar tail.
    /// </summary>
    private readonly record struct SumAccumulators(ParameterExpression Lo, ParameterExpression Hi, ParameterExpression Block,
                                                   ParameterExpression Tail);

    /// <summary>
    /// Vectors a sum gathers in float before widening to double: each lane makes at most 15 rounded additions before its
    /// exact widening, an error of at most 15 · 2⁻²⁴ of the sum of the block's |terms| (relative to the block's sum only
    /// without cancellation), and a block of huge terms of both signs can overflow to ±∞ or NaN where double would not.
    /// The block boundaries are fixed by the row and chunk, so results still do not depend on the thread count.
    /// </summary>
    private const int BlockSteps = 16;

    /// <summary>Widens a sum's float block into its double accumulators and clears it.</summary>
    private Expression Flush(SumAccumulators sum) => Block(
        AddAssign(sum.Lo, Call(_isa.Exact("WidenLower", _isa.Vector), sum.Block)),
        AddAssign(sum.Hi, Call(_isa.Exact("WidenUpper", _isa.Vector), sum.Block)),
        Assign(sum.Block, Default(_isa.Vector)));

    private bool IsSum(int reduction) => _graph.Nodes[_graph.ReductionNodes[reduction]].Op == FxOp.Sum;

    /// <summary>
    /// Statements of one loop iteration: every needed node once, in id order, then stores or accumulations. A gate's term
    /// is computed inside an if on its coefficient (<see cref="FusionGraph.GateScopes"/>), so its loads are skipped where
    /// the coefficient is 0 (in every lane, for a vector).
    /// </summary>
    private List<Expression> Body(bool vector, Dictionary<int, Expression> leaves, ParameterExpression?[] inPtr,
                                  ParameterExpression?[] inStride,
                                  List<SumAccumulators> sums,
                                  List<(ParameterExpression Vec, ParameterExpression Tail)> maxes)
    {
        var type = vector ? _isa.Vector : typeof(float);
        var emitter = new CpuOpEmitter(_isa, vector, c => Const(vector, c));
        var values = new Expression?[_graph.Nodes.Length];
        var locals = new List<ParameterExpression>();
        var statements = new List<Expression>();
        // Gate id -> the statements of its term. The term's nodes have smaller ids than the gate, and nothing outside
        // reads them, so they are collected here and emitted under the gate's if at the gate's own position.
        var blocks = Enumerable.Range(0, _graph.Nodes.Length).Where(id => _gateScope[id] >= 0).Select(id => _gateScope[id])
                               .Distinct().ToDictionary(gate => gate, _ => new List<Expression>());
        for (int id = 0; id < _graph.Nodes.Length; id++)
        {
            if (!_needed[id]) continue;
            var n = _graph.Nodes[id];
            if (leaves.TryGetValue(id, out var leaf)) { values[id] = leaf; continue; }
            if (n.Op == FxOp.Constant) { values[id] = Const(vector, n.Value); continue; }
            if (n.Op == FxOp.Input && _graph.ContractedInputs[n.Index]) continue;   // read only by its contraction
            var local = Variable(type, $"n{id}");
            locals.Add(local);
            values[id] = local;
            var target = _gateScope[id] >= 0 ? blocks[_gateScope[id]] : statements;
            if (n.Op == FxOp.Contract)
            {
                target.Add(Contract(vector, local, n, inPtr, inStride, locals));
                continue;
            }
            if (n.Op == FxOp.Gate && blocks.TryGetValue(id, out var term))
            {
                var c = values[n.A]!;
                term.Add(Assign(local, emitter.Gate(c, values[n.B]!)));
                Expression on = vector
                    ? Not(Call(_isa.Generic("EqualsAll", 2, typeof(float)), c, Const(vector, 0f)))
                    : NotEqual(c, Constant(0f));
                target.Add(Assign(local, Const(vector, 0f)));
                target.Add(IfThen(on, Block(term)));
                continue;
            }
            Expression value = n.Op == FxOp.Input
                ? Load(vector, inPtr[n.Index]!, inStride[n.Index], Bf16Input(n.Index))
                : emitter.Emit(n.Op, values[n.A]!, n.B >= 0 ? values[n.B] : null, n.C >= 0 ? values[n.C] : null);
            target.Add(Assign(local, value));
        }
        for (int o = 0; o < _outputNodes.Length; o++)
        {
            var ptr = _outPtr[o];
            bool bf16 = _graph.OutputStorage[o] == DType.BFloat16;
            statements.Add(vector
                ? Call(bf16 ? _isa.StoreBf16 : _streaming ? _isa.Stream : _isa.Store, ptr, _i, values[_outputNodes[o]]!)
                : Call(typeof(CpuKernelMemory).GetMethod(bf16 ? nameof(CpuKernelMemory.StoreBf16Scalar) : nameof(CpuKernelMemory.StoreScalar))!,
                       ptr, _i, values[_outputNodes[o]]!));
        }
        int s = 0, m = 0;
        foreach (var k in _reductions)
        {
            var v = values[_graph.Nodes[_graph.ReductionNodes[k]].A]!;
            if (IsSum(k))
            {
                var sum = sums[s++];
                statements.Add(vector ? AddAssign(sum.Block, v) : AddAssign(sum.Tail, Convert(v, typeof(double))));
            }
            else
            {
                var (vec, tail) = maxes[m++];
                statements.Add(vector
                    ? Assign(vec, Call(_isa.Generic("Max", 2, typeof(float)), vec, v))
                    : Assign(tail, Call(typeof(MathF).GetMethod("Max", [typeof(float), typeof(float)])!, tail, v)));
            }
        }
        return [Block(locals, statements.Count > 0 ? statements : [Empty()])];
    }

    /// <summary>acc = Σ_{k&lt;K} a[at + k·σ_a] · b[at + k·σ_b], a loop over the launch-given extent K.</summary>
    private Expression Contract(bool vector, ParameterExpression acc, FusedNode n, ParameterExpression?[] inPtr,
                                ParameterExpression?[] inStride, List<ParameterExpression> locals)
    {
        var (length, strideA, strideB) = _contraction[n.Index];
        var k = Variable(typeof(long), $"k{n.Index}_{acc.Name}");
        locals.Add(k);
        int a = _graph.Nodes[n.A].Index, b = _graph.Nodes[n.B].Index;
        var fma = vector
            ? _isa.Exact("FusedMultiplyAdd", _isa.Vector, _isa.Vector, _isa.Vector)
            : typeof(MathF).GetMethod("FusedMultiplyAdd", [typeof(float), typeof(float), typeof(float)])!;
        var exit = Label($"contract{n.Index}_{acc.Name}_done");
        return Block(
            Assign(acc, vector ? Default(_isa.Vector) : Constant(0f)),
            Assign(k, Constant(0L)),
            Loop(IfThenElse(GreaterThanOrEqual(k, length), Break(exit),
                Block(Assign(acc, Call(fma, Term(vector, a, inPtr, inStride, Multiply(k, strideA)),
                                            Term(vector, b, inPtr, inStride, Multiply(k, strideB)), acc)),
                      PreIncrementAssign(k))), exit));
    }

    /// <summary>Input <paramref name="input"/> at the element's position plus <paramref name="offset"/> elements.</summary>
    private Expression Term(bool vector, int input, ParameterExpression?[] inPtr, ParameterExpression?[] inStride, Expression offset)
    {
        var ptr = inPtr[input]!;
        return _modes[input] switch
        {
            CpuInputMode.Broadcast => vector ? Call(_isa.Exact("Create", typeof(float)), LoadScalar(ptr, offset)) : LoadScalar(ptr, offset),
            CpuInputMode.Contiguous => vector ? Call(_isa.Load, ptr, Add(_i, offset)) : LoadScalar(ptr, Add(_i, offset)),
            _ => LoadScalar(ptr, Add(Multiply(_i, inStride[input]!), offset)),
        };
    }

    private bool Bf16Input(int input) => _graph.InputStorage[input] == DType.BFloat16;

    private Expression Load(bool vector, ParameterExpression ptr, ParameterExpression? stride, bool bf16 = false) =>
        vector ? Call(bf16 ? _isa.LoadBf16 : _isa.Load, ptr, _i) : LoadScalar(ptr, stride is null ? _i : Multiply(_i, stride), bf16);

    private static Expression LoadScalar(Expression ptr, Expression index, bool bf16 = false) =>
        Call(typeof(CpuKernelMemory).GetMethod(bf16 ? nameof(CpuKernelMemory.LoadBf16Scalar) : nameof(CpuKernelMemory.LoadScalar))!, ptr, index);

    /// <summary>A float constant, or a vector of it hoisted out of the loop.</summary>
    private Expression Const(bool vector, float value)
    {
        if (!vector) return Constant(value);
        var key = (vector, BitConverter.SingleToInt32Bits(value));
        if (!_constants.TryGetValue(key, out var e))
        {
            e = Hoist(_isa.Vector, $"c{_constants.Count}", Call(_isa.Exact("Create", typeof(float)), Constant(value)));
            _constants.Add(key, e);
        }
        return e;
    }

    private ParameterExpression Hoist(Type type, string name, Expression init)
    {
        var v = Variable(type, name);
        _hoisted.Add(v);
        _prologue.Add(Assign(v, init));
        return v;
    }
}
