using Engine.Kernels.Devices;
using Engine.Tensors;

namespace Engine.Optim.Structured;

/// <summary>The device side of <see cref="CgfmTransform"/>: one projector per hidden matrix, the norms and s_t.</summary>
internal sealed class CgfmLink : StructuredLink
{
    private readonly CgfmOptions _options;
    private readonly IReadOnlyList<HiddenMatrix> _matrices;
    private readonly CgfmProjector[] _projectors;
    /// <summary>Per matrix: ||G||², ||G_glob||² of the last step.</summary>
    private readonly Tensor? _norms;
    private readonly Tensor _zero;
    private readonly Tensor _stepMultiplier;
    private readonly Tensor _globalFraction;
    private readonly Tensor _initialNorm;

    public CgfmLink(LinkBinding binding, CgfmOptions options)
    {
        _options = options;
        _matrices = binding.Matrices;
        _projectors = _matrices.Select(m => new CgfmProjector(binding.Device, m.Rows, m.Cols, options.RankFor(m.Rows, m.Cols))).ToArray();
        if (_matrices.Count > 0) _norms = Tensor.Zeros(binding.Device, _matrices.Count, 2);
        _zero = Tensor.Zeros(binding.Device);
        _stepMultiplier = Tensor.Ones(binding.Device);
        _globalFraction = Tensor.Zeros(binding.Device);
        _initialNorm = Tensor.Zeros(binding.Device);
    }

    public override void Run(StructuredInput input)
    {
        bool refresh = input.Step.Iteration % _options.ProjectionPeriod == 0;
        float lambdaLocal = (float)_options.LambdaLocal, lambdaGlobal = (float)_options.LambdaGlobal;
        using var scope = new TensorScope();
        // Scale-free: a clip coefficient still to be applied to the gradient changes neither s_t nor the fraction.
        // Reduced before the matrices are rewritten in place.
        var total = input.FlatNormSquared ?? input.Flat.SumOfSquares();
        for (int i = 0; i < _matrices.Count; i++)
        {
            var g = View(input.Flat, _matrices[i]);
            if (refresh) _projectors[i].Refresh(g);
            var glob = _projectors[i].Project(g);
            DeviceMath.Run(CgfmPrograms.Adjust, [lambdaLocal, lambdaGlobal - lambdaLocal], [g], [g, glob], _norms!.Slice(0, i, 1));
        }
        Tensor matrixSq = _zero, globSq = _zero;
        if (_norms is not null)
        {
            var sums = _norms.Sum(0);
            matrixSq = sums.Slice(0, 0, 1).Reshape();
            globSq = sums.Slice(0, 1, 1).Reshape();
        }
        var passSq = Tensor.Maximum(total - matrixSq, _zero);
        float[] lambdas = [lambdaLocal * lambdaLocal, lambdaGlobal * lambdaGlobal];
        var program = CgfmPrograms.Multiplier(_options.StepRule);
        if (_options.StepRule == CgfmStepRule.Literal)
        {
            // Not scale-free: ||g_adj,t|| / ||g_0|| compares two steps, each with its own clip coefficient k.
            if (input.Scale is { } k)
            {
                var kSq = k * k;
                (matrixSq, globSq, passSq) = (matrixSq * kSq, globSq * kSq, passSq * kSq);
            }
            DeviceMath.Run(program, [.. lambdas, input.Step.Step == 1 ? 1f : 0f],
                           [_initialNorm, _stepMultiplier, _globalFraction], [matrixSq, globSq, passSq, _initialNorm]);
        }
        else
            DeviceMath.Run(program, lambdas, [_stepMultiplier, _globalFraction], [matrixSq, globSq, passSq]);
    }

    public override BufferSlice Scalar(string name) => name == StructuredTransform.StepMultiplierName
        ? _stepMultiplier.DataSlice
        : base.Scalar(name);

    public override void ReadMetrics(IDictionary<string, double> metrics)
    {
        metrics["cgfm.step_multiplier"] = _stepMultiplier.Item();
        metrics["cgfm.global_fraction"] = _globalFraction.Item();
    }

    public override IEnumerable<(string Key, float[] Values)> ExportExtras()
    {
        for (int i = 0; i < _projectors.Length; i++)
            if (_projectors[i].HasBasis) yield return ($"basis.{_matrices[i].Name}", _projectors[i].Basis.ToArray());
        yield return ("initial_norm", _initialNorm.ToArray());
    }

    public override void ImportExtras(IReadOnlyDictionary<string, float[]> extras, long step)
    {
        for (int i = 0; i < _projectors.Length; i++)
            if (step > 0) _projectors[i].Restore(Extra(extras, $"basis.{_matrices[i].Name}", _projectors[i].Basis.Count));
        DeviceMath.Write(_initialNorm, Extra(extras, "initial_norm", 1));
    }

    public override void Dispose()
    {
        foreach (var p in _projectors) p.Dispose();
        _norms?.Dispose();
        _zero.Dispose();
        _stepMultiplier.Dispose();
        _globalFraction.Dispose();
        _initialNorm.Dispose();
    }
}
