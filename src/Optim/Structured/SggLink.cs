using Engine.Kernels.Devices;
using Engine.Tensors;

namespace Engine.Optim.Structured;

/// <summary>The device side of <see cref="SggTransform"/>: the source gradient, the Gram entries and the coefficients.</summary>
internal sealed class SggLink : StructuredLink, ISourceGradientLink, IReferenceDirectionLink
{
    private readonly SggOptions _options;
    private readonly Tensor _direction;
    /// <summary>The captured d (store-sized), or null when d is the first moment.</summary>
    private readonly Tensor? _captured;
    private readonly Tensor _source;
    private readonly Tensor _gram;
    /// <summary>a, b, c, cos(g, g_s), τ, norm EMA, clip count (the coefficient program's outputs).</summary>
    private readonly Tensor _scalars;
    private readonly Tensor[] _scalarViews;
    private readonly Tensor _one;
    private long _steps;

    public SggLink(LinkBinding binding, SggOptions options)
    {
        _options = options;
        if (options.ReferenceDirection == SggReferenceDirection.Captured)
            _captured = Tensor.Zeros(binding.Device, checked((int)binding.Store.Count));
        _direction = _captured ?? binding.Slots[binding.FirstMomentSlot!.Value];
        _source = Tensor.Zeros(binding.Device, options.SourcePrecision, checked((int)binding.Store.Count));
        _gram = Tensor.Zeros(binding.Device, SggPrograms.GramEntries.Length);
        _scalars = Tensor.Zeros(binding.Device, SggPrograms.CoefficientOutputs);
        _scalarViews = Enumerable.Range(0, SggPrograms.CoefficientOutputs).Select(k => DeviceMath.Item(_scalars, k)).ToArray();
        _one = Tensor.Ones(binding.Device);
    }

    public override void Run(StructuredInput input)
    {
        _steps = input.Step.Step;
        using var scope = new TensorScope();
        var entries = input.Reduced;
        if (entries is null)
        {
            DeviceMath.Run(SggPrograms.Gram(_source.DType), [], [], [input.Flat, _source, _direction], _gram);
            entries = Enumerable.Range(0, SggPrograms.GramEntries.Length).Select(k => DeviceMath.Item(_gram, k)).ToArray();
        }
        DeviceMath.Run(SggPrograms.Coefficients, SggPrograms.CoefficientScalars(_options, _steps), _scalarViews,
                       [.. entries, _scalarViews[5], _scalarViews[6], input.Scale ?? _one]);
    }

    public void CaptureSourceGradient(Tensor gradients) => DeviceMath.CopyInto(gradients, _source);

    public bool CapturesReferenceDirection => _captured is not null;

    public void CaptureReferenceDirection(Tensor gradients) =>
        DeviceMath.CopyInto(gradients, _captured ?? throw new InvalidOperationException(
            "this SGG link's direction is the optimizer's momentum (SggOptions.ReferenceDirection = Momentum): there is nothing to capture"));

    public override BufferSlice Scalar(string name) => name switch
    {
        "a" => _scalarViews[0].DataSlice,
        "b" => _scalarViews[1].DataSlice,
        "c" => _scalarViews[2].DataSlice,
        _ => base.Scalar(name),
    };

    public override Tensor Flat(string name) => name switch
    {
        SggTransform.SourceGradientName => _source,
        SggTransform.ReferenceDirectionName when _captured is not null => _captured,
        _ => base.Flat(name),
    };

    public override void ReadMetrics(IDictionary<string, double> metrics)
    {
        var v = _scalars.ToArray();
        metrics["sgg.cos_g_gs"] = v[3];
        metrics["sgg.clip_rate"] = _steps == 0 ? 0 : v[6] / _steps;
    }

    public override IEnumerable<(string Key, float[] Values)> ExportExtras()
    {
        yield return ("scalars", _scalars.ToArray());
        yield return (SggTransform.SourceGradientName, _source.ToArray());
        if (_captured is not null) yield return (SggTransform.ReferenceDirectionName, _captured.ToArray());
    }

    public override void ImportExtras(IReadOnlyDictionary<string, float[]> extras, long step)
    {
        DeviceMath.Write(_scalars, Extra(extras, "scalars", _scalars.Count));
        DeviceMath.Write(_source, Extra(extras, SggTransform.SourceGradientName, _source.Count));
        if (_captured is not null) DeviceMath.Write(_captured, Extra(extras, SggTransform.ReferenceDirectionName, _captured.Count));
        _steps = step;
    }

    public override void Dispose()
    {
        foreach (var v in _scalarViews) v.Dispose();
        _source.Dispose();
        _captured?.Dispose();
        _gram.Dispose();
        _scalars.Dispose();
        _one.Dispose();
    }
}
