namespace Engine.Kernels.Fusion;

/// <summary>Outputs (one dense array each) and reductions of <see cref="FusedProgram.EvaluateReference"/>.</summary>
public sealed record FusedReferenceResult(double[][] Outputs, double[] Reductions);

public sealed partial class FusedProgram
{
    /// <summary>
    /// The program's meaning, evaluated in double one element at a time: the scalar reference every backend
    /// is tested against. Each input is a dense array of <paramref name="count"/> elements (broadcasts expanded); an
    /// operand of contraction j holds <paramref name="contractionLengths"/>[j] = K values per element instead, term k of
    /// element e at [e·K + k]. A BFloat16 input's values are what its buffer holds (bfloat16 values); a BFloat16 output holds
    /// the fp32 rounding of the double result, rounded again to bfloat16.
    /// </summary>
    public FusedReferenceResult EvaluateReference(long count, IReadOnlyList<double[]> inputs, IReadOnlyList<double> scalars,
                                                  IReadOnlyList<int>? contractionLengths = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(scalars);
        var lengths = contractionLengths ?? [];
        if (lengths.Count != _graph.ContractionNodes.Length)
            throw new ArgumentException(
                $"program '{Name}' has {_graph.ContractionNodes.Length} contractions, got {lengths.Count} lengths", nameof(contractionLengths));
        var perElement = new long[InputCount];
        Array.Fill(perElement, 1L);
        foreach (var id in _graph.ContractionNodes)
        {
            var n = _graph.Nodes[id];
            perElement[_graph.Nodes[n.A].Index] = perElement[_graph.Nodes[n.B].Index] = lengths[n.Index];
        }
        if (inputs.Count != InputCount)
            throw new ArgumentException($"program '{Name}' expects {InputCount} inputs, got {inputs.Count}", nameof(inputs));
        if (scalars.Count != ScalarCount)
            throw new ArgumentException($"program '{Name}' expects {ScalarCount} scalars, got {scalars.Count}", nameof(scalars));
        for (int i = 0; i < inputs.Count; i++)
            if (inputs[i].LongLength != count * perElement[i])
                throw new ArgumentException(
                    $"program '{Name}': reference input {i} ('{_graph.InputNames[i]}') has {inputs[i].LongLength} elements, expected {count * perElement[i]}");

        var nodes = _graph.Nodes;
        var values = new double[nodes.Length];
        var reductions = new double[ReductionCount];
        for (int level = 1; level <= _graph.LevelCount; level++)
        {
            var ks = _graph.ReductionsOfLevel(level);
            foreach (var k in ks) reductions[k] = nodes[_graph.ReductionNodes[k]].Op == FxOp.Sum ? 0 : double.NegativeInfinity;
            for (long e = 0; e < count; e++)
            {
                Evaluate(values, e, inputs, scalars, reductions, lengths);
                foreach (var k in ks)
                {
                    double v = values[nodes[_graph.ReductionNodes[k]].A];
                    reductions[k] = nodes[_graph.ReductionNodes[k]].Op == FxOp.Sum ? reductions[k] + v : Math.Max(reductions[k], v);
                }
            }
        }
        var outputs = _graph.OutputNodes.Select(_ => new double[count]).ToArray();
        if (OutputCount > 0)
            for (long e = 0; e < count; e++)
            {
                Evaluate(values, e, inputs, scalars, reductions, lengths);
                for (int o = 0; o < outputs.Length; o++)
                {
                    double v = values[_graph.OutputNodes[o]];
                    outputs[o][e] = _graph.OutputStorage[o] == Devices.DType.BFloat16 ? Devices.DTypes.RoundToBFloat16((float)v) : v;
                }
            }
        return new FusedReferenceResult(outputs, reductions);
    }

    /// <summary>Fills values[id] for every node at element <paramref name="e"/> (reductions read from <paramref name="reductions"/>).</summary>
    private void Evaluate(double[] values, long e, IReadOnlyList<double[]> inputs, IReadOnlyList<double> scalars, double[] reductions,
                          IReadOnlyList<int> contractionLengths)
    {
        var nodes = _graph.Nodes;
        for (int id = 0; id < nodes.Length; id++)
        {
            var n = nodes[id];
            double a = n.A >= 0 ? values[n.A] : 0, b = n.B >= 0 ? values[n.B] : 0, c = n.C >= 0 ? values[n.C] : 0;
            values[id] = n.Op switch
            {
                FxOp.Input when _graph.ContractedInputs[n.Index] => 0,   // read only by its contraction
                FxOp.Input => inputs[n.Index][e],
                FxOp.Contract => Contract(inputs[nodes[n.A].Index], inputs[nodes[n.B].Index], e, contractionLengths[n.Index]),
                FxOp.Scalar => scalars[n.Index],
                FxOp.Constant => n.Value,
                FxOp.Neg => -a,
                FxOp.Exp => Math.Exp(a),
                FxOp.Log => Math.Log(a),
                FxOp.Sqrt => Math.Sqrt(a),
                FxOp.Rsqrt => 1 / Math.Sqrt(a),
                FxOp.Tanh => Math.Tanh(a),
                FxOp.Abs => Math.Abs(a),
                FxOp.Relu => Math.Max(a, 0),
                FxOp.Sigmoid => 1 / (1 + Math.Exp(-a)),
                FxOp.Gelu => 0.5 * a * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (a + 0.044715 * a * a * a))),
                FxOp.Add => a + b,
                FxOp.Sub => a - b,
                FxOp.Mul => a * b,
                FxOp.Div => a / b,
                FxOp.Pow => Math.Pow(a, b),
                FxOp.Max => Math.Max(a, b),
                FxOp.Min => Math.Min(a, b),
                FxOp.Greater => a > b ? 1 : 0,
                FxOp.Less => a < b ? 1 : 0,
                FxOp.Where => a != 0 ? b : c,
                FxOp.Fma => a * b + c,
                FxOp.Gate => a == 0 ? 0 : a * b,
                FxOp.Sum or FxOp.MaxReduce => reductions[n.Index],
                _ => throw new InvalidOperationException($"unknown op {n.Op}"),
            };
        }
    }

    private static double Contract(double[] a, double[] b, long e, int length)
    {
        double sum = 0;
        for (int k = 0; k < length; k++) sum += a[e * length + k] * b[e * length + k];
        return sum;
    }
}
