using Engine.Kernels.Devices;

namespace Engine.Kernels.Fusion;

/// <summary>
/// Declares a fused program: its inputs (elementwise operands), scalar parameters (values bound at each
/// launch), outputs and named reductions, then <see cref="Build"/>s it. Building the same structure again
/// (same operations, constants, input/scalar positions and outputs, whatever the names) returns the
/// same cached <see cref="FusedProgram"/>, so its compiled kernels and delegates are shared.
/// </summary>
public sealed class FusionBuilder
{
    private readonly List<Expr> _inputs = [];
    private readonly List<DType> _inputStorage = [];
    private readonly List<DType> _outputStorage = [];
    private readonly List<Expr> _scalars = [];
    private readonly List<(string Name, Expr Value)> _outputs = [];
    private readonly List<(string Name, Expr Value)> _reductions = [];

    public FusionBuilder(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    public string Name { get; }

    /// <summary>
    /// An elementwise operand; launches bind inputs in declaration order. <paramref name="storage"/> is how its buffer
    /// holds the values (fp32, or bfloat16 widened to fp32 as it is read); the expression computes in fp32 either way.
    /// </summary>
    public Expr Input(string name, DType storage = DType.Float32)
    {
        var e = new Expr(FxOp.Input, [], index: _inputs.Count, owner: this, name: CheckName(name));
        _inputs.Add(e);
        _inputStorage.Add(CheckStorage(storage, name));
        return e;
    }

    /// <summary>A scalar parameter; its value is a launch argument, not part of the compiled code.</summary>
    public Expr Scalar(string name)
    {
        var e = new Expr(FxOp.Scalar, [], index: _scalars.Count, owner: this, name: CheckName(name));
        _scalars.Add(e);
        return e;
    }

    /// <summary>
    /// A dense output with the launch's shape; launches bind outputs in declaration order. <paramref name="storage"/>
    /// bfloat16 stores each value rounded to nearest even.
    /// </summary>
    public void Output(string name, Expr value, DType storage = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(value);
        _outputs.Add((CheckName(name), value));
        _outputStorage.Add(CheckStorage(storage, name));
    }

    /// <summary>
    /// Makes a reduction (<see cref="Fx.Sum"/>, <see cref="Fx.MaxReduce"/>, ...) a result of the program even
    /// when no output uses it (e.g. a global norm). Returns <paramref name="reduction"/>.
    /// </summary>
    public Expr Reduction(string name, Expr reduction)
    {
        ArgumentNullException.ThrowIfNull(reduction);
        if (!FxOpInfo.IsReduction(reduction.Op))
            throw new ArgumentException(
                $"program '{Name}': Reduction('{name}') needs a reduction node (sum, max_reduce, ...), got {FxOpInfo.Name(reduction.Op)}",
                nameof(reduction));
        _reductions.Add((CheckName(name), reduction));
        return reduction;
    }

    /// <summary>Builds (or fetches from the cache) the program.</summary>
    public FusedProgram Build()
    {
        if (_outputs.Count == 0 && _reductions.Count == 0)
            throw new InvalidOperationException($"program '{Name}' has neither outputs nor reductions");
        var graph = FusionGraph.Create(this, _inputs, _scalars, _outputs, _reductions, _inputStorage, _outputStorage);
        return FusedProgramCache.GetOrAdd(graph);
    }

    private DType CheckStorage(DType storage, string name) => storage is DType.Float32 or DType.BFloat16
        ? storage
        : throw new ArgumentException($"program '{Name}': '{name}' is stored as {storage}; fused programs read and write Float32 or BFloat16",
                                      nameof(storage));

    private string CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return name;
    }
}
