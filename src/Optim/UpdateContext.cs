using Engine.Kernels.Fusion;

namespace Engine.Optim;

/// <summary>
/// What a <see cref="GradientTransform"/> builds its update expression from while a pass is compiled: the
/// parameter, the global squared gradient norm, its own state slots and per-launch scalars. It records every
/// operand it hands out, so the compiled pass knows which flat buffers to bind, and each state write.
/// </summary>
public sealed class UpdateContext
{
    private readonly FusionBuilder _builder;
    private readonly List<Operand> _inputs = [];
    private readonly List<Operand> _outputs = [];
    private readonly List<Func<StepContext, double>> _scalars = [];
    private readonly Dictionary<Operand, Expr> _inputExprs = [];
    private int _firstSlot;
    private IReadOnlyList<string> _slotNames = [];
    private string _transform = "";

    internal UpdateContext(string name) => _builder = new FusionBuilder(name);

    /// <summary>The parameter value p (read once per element).</summary>
    public Expr Param => Input(Operand.Param, "p");

    /// <summary>||g||² over every parameter, from the reduce phase that runs before the update (device-resident).</summary>
    public Expr GradNormSquared => Input(Operand.GradNormSquared, "grad_norm_sq");

    /// <summary>The current value of the transform's state slot <paramref name="name"/>.</summary>
    public Expr State(string name) => Input(Operand.State(Slot(name)), $"{_transform}.{name}");

    /// <summary>Stores <paramref name="value"/> as the new value of state slot <paramref name="name"/>.</summary>
    public void SetState(string name, Expr value) => Output(Operand.State(Slot(name)), $"{_transform}.{name}", value);

    /// <summary>A scalar bound at each launch to <paramref name="value"/>(step, segment), computed in double, passed as fp32.</summary>
    public Expr Scalar(string name, Func<StepContext, double> value)
    {
        _scalars.Add(value);
        return _builder.Scalar($"{_transform}.{name}");
    }

    /// <summary>Makes the following calls act for the transform whose state slots start at <paramref name="firstSlot"/>.</summary>
    internal void Enter(GradientTransform transform, int firstSlot)
    {
        _transform = transform.Name;
        _slotNames = transform.StateNames;
        _firstSlot = firstSlot;
    }

    internal Expr Input(Operand operand, string name)
    {
        if (!_inputExprs.TryGetValue(operand, out var e))
        {
            e = _builder.Input(name);
            _inputs.Add(operand);
            _inputExprs.Add(operand, e);
        }
        return e;
    }

    internal void Output(Operand operand, string name, Expr value)
    {
        if (_outputs.Contains(operand))
            throw new InvalidOperationException($"pass '{_builder.Name}' writes {name} twice");
        _outputs.Add(operand);
        _builder.Output(name, value);
    }

    internal UpdatePass Build() => new(_builder.Build(), _inputs.ToArray(), _outputs.ToArray(), _scalars.ToArray());

    private int Slot(string name)
    {
        for (int k = 0; k < _slotNames.Count; k++)
            if (_slotNames[k] == name) return _firstSlot + k;
        throw new ArgumentException($"transform '{_transform}' has no state slot '{name}' (slots: {string.Join(", ", _slotNames)})");
    }
}
