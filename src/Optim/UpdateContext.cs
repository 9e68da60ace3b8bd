using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;

namespace Engine.Optim;

/// <summary>
/// What a <see cref="GradientTransform"/> builds its update expression from while a pass is compiled: the
/// parameter, the global squared gradient norm, its own state slots, per-launch scalars and, for structured links,
/// their device scalars and flat buffers. It records every operand it hands out, so the compiled pass knows which
/// buffers to bind, and each state write.
/// </summary>
public sealed class UpdateContext
{
    private readonly FusionBuilder _builder;
    private readonly Operand _linkInput;
    private readonly List<Operand> _inputs = [];
    private readonly List<Operand> _outputs = [];
    private readonly List<Func<StepContext, double>> _scalars = [];
    private readonly Dictionary<Operand, Expr> _inputExprs = [];
    private readonly Dictionary<Operand, DType> _inputStorage = [];
    private int _firstSlot;
    private int _link = -1;
    private int _group;
    private TransformChain? _chain;
    private IReadOnlyList<string> _slotNames = [];
    private string _transform = "";

    /// <param name="linkInput">What the running link's phase S wrote: the gradient (fused) or the update buffer (staged).</param>
    internal UpdateContext(string name, Operand? linkInput = null)
    {
        _builder = new FusionBuilder(name);
        _linkInput = linkInput ?? Operand.Grad;
    }

    /// <summary>The parameter value p (read once per element).</summary>
    public Expr Param => Input(Operand.Param, "p");

    /// <summary>||g||² over every parameter, from the reduce phase that runs before the update (device-resident).</summary>
    public Expr GradNormSquared => Input(Operand.GradNormSquared, "grad_norm_sq");

    /// <summary>The current value of the transform's state slot <paramref name="name"/>.</summary>
    public Expr State(string name) => Input(Operand.State(Slot(name), _group), $"{_transform}.{name}");

    /// <summary>Stores <paramref name="value"/> as the new value of state slot <paramref name="name"/>.</summary>
    public void SetState(string name, Expr value) => Output(Operand.State(Slot(name), _group), $"{_transform}.{name}", value);

    /// <summary>A scalar bound at each launch to <paramref name="value"/>(step, segment), computed in double, passed as fp32.</summary>
    public Expr Scalar(string name, Func<StepContext, double> value)
    {
        _scalars.Add(value);
        return _builder.Scalar($"{_transform}.{name}");
    }

    /// <summary>A device scalar of the running structured link (e.g. CGFM's s_t), read by the kernel, never by the host.</summary>
    public Expr DeviceScalar(string name) => Input(Operand.LinkScalar(_link, name, _group), $"{_transform}.{name}");

    /// <summary>
    /// A flat buffer of the running structured link in the store's layout (e.g. SGG's source gradient), held as
    /// <paramref name="storage"/> (the link's tensor must have that type).
    /// </summary>
    public Expr Flat(string name, DType storage = DType.Float32) =>
        Input(Operand.LinkFlat(_link, name, _group), $"{_transform}.{name}", storage);

    /// <summary>What the running link's phase S wrote in place (Muon's orthogonalized step), before any later link.</summary>
    public Expr LinkInput => Input(_linkInput, _linkInput == Operand.Grad ? "g" : "u");

    /// <summary>
    /// The first-moment state (Adam's m, SGD's momentum buffer) of the first later link that has one, as it was
    /// before this step: SGG's reference direction d.
    /// </summary>
    public Expr FirstMoment
    {
        get
        {
            var (link, slot) = Chain.FirstMomentAfter(_link)
                               ?? throw new ArgumentException(
                                   $"transform '{_transform}' needs a first moment, but no later link of chain '{Chain}' keeps one");
            return Input(Operand.State(slot, _group), $"{Chain.Transforms[link].Name}.{Chain.Transforms[link].FirstMomentState}");
        }
    }

    /// <summary>
    /// The device scalar the chain's learning rate is multiplied by (CGFM's s_t), or null when no link scales it.
    /// The learning-rate link multiplies by it; the decoupled-decay link divides its coefficient by it, so lr·wd stays.
    /// </summary>
    public Expr? LearningRateMultiplier
    {
        get
        {
            if (_chain?.LearningRateMultiplierLink is not { } link) return null;
            return Input(Operand.LinkScalar(link, StructuredTransform.StepMultiplierName, _group), "step_multiplier");
        }
    }

    /// <summary>
    /// Adds a reduction of phase R (fp64 accumulation) and returns the index its result lands at in the R buffer.
    /// Structurally equal reductions are one in the compiled program, so a link reuses ||g||² through
    /// <see cref="GradNormSquaredResult"/> instead of reducing g·g again.
    /// </summary>
    internal int Reduction(string name, Expr value)
    {
        _builder.Reduction($"{_transform}.{name}", value);
        return ReductionCount++;
    }

    internal int ReductionCount { get; private set; }

    /// <summary>The R-buffer index of ||g||² when phase R reduces it, else null.</summary>
    internal int? GradNormSquaredResult { get; set; }

    private TransformChain Chain => _chain ?? throw new InvalidOperationException($"pass '{_builder.Name}' has no chain");

    /// <summary>
    /// Makes the following calls act for link <paramref name="link"/> of <paramref name="chain"/> (optimizer group
    /// <paramref name="group"/>).
    /// </summary>
    internal void Enter(TransformChain chain, int link, int group = 0)
    {
        var transform = chain.Transforms[link];
        int firstSlot = chain.FirstSlot[link];
        _group = group;
        _chain = chain;
        _transform = transform.Name;
        _slotNames = transform.StateNames;
        _firstSlot = firstSlot;
        _link = link;
    }

    internal Expr Input(Operand operand, string name, DType storage = DType.Float32)
    {
        if (!_inputExprs.TryGetValue(operand, out var e))
        {
            e = _builder.Input(name, storage);
            _inputs.Add(operand);
            _inputStorage.Add(operand, storage);
            _inputExprs.Add(operand, e);
        }
        else if (_inputStorage[operand] != storage)
            throw new InvalidOperationException($"pass '{_builder.Name}' reads {name} as {_inputStorage[operand]} and as {storage}");
        return e;
    }

    internal void Output(Operand operand, string name, Expr value, DType storage = DType.Float32)
    {
        if (_outputs.Contains(operand))
            throw new InvalidOperationException($"pass '{_builder.Name}' writes {name} twice");
        _outputs.Add(operand);
        _builder.Output(name, value, storage);
    }

    internal UpdatePass Build() => new(_builder.Build(), _inputs.ToArray(), _outputs.ToArray(), _scalars.ToArray());

    private int Slot(string name)
    {
        for (int k = 0; k < _slotNames.Count; k++)
            if (_slotNames[k] == name) return _firstSlot + k;
        throw new ArgumentException($"transform '{_transform}' has no state slot '{name}' (slots: {string.Join(", ", _slotNames)})");
    }
}
