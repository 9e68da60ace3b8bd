using Engine.Kernels.Devices;
using Engine.Tensors;

namespace Engine.Optim.Structured;

/// <summary>
/// The device side of <see cref="CgfmTransform"/>: one projector per hidden matrix, the coefficients of this step's G in
/// each basis, the norms and s_t. Bases and coefficients of a run of equal matrices (<see cref="MatrixRun"/>) live in one
/// batched tensor each, so a run takes one <see cref="ComputeDevice.LowRankAdjust"/>.
/// </summary>
internal sealed class CgfmLink : StructuredLink
{
    private readonly CgfmOptions _options;
    private readonly IReadOnlyList<HiddenMatrix> _matrices;
    private readonly IReadOnlyList<MatrixRun> _runs;
    private readonly CgfmProjector[] _projectors;
    /// <summary>Per run: the bases, [count, r, n] (Qᵀ, m ≥ n) or [count, m, r] (P).</summary>
    private readonly Tensor[] _bases;
    /// <summary>Per run: G Q ([count, m, r]) or PᵀG ([count, r, n]) of the last step.</summary>
    private readonly Tensor[] _coefficients;
    /// <summary>The flat ranges of the store outside the matrices: the pass-through parameters (λ = 1).</summary>
    private readonly (int Start, int Length)[] _passThrough;
    /// <summary>Per run: ||G_glob||² and ||G||² of the last step, summed over its matrices.</summary>
    private readonly Tensor? _norms;
    private readonly Tensor _zero;
    private readonly Tensor _stepMultiplier;
    private readonly Tensor _globalFraction;
    private readonly Tensor _initialNorm;

    public CgfmLink(LinkBinding binding, CgfmOptions options)
    {
        _options = options;
        _matrices = binding.Matrices;
        _runs = MatrixRun.Of(_matrices, binding.Store.DecayedCount);
        var device = binding.Device;
        _bases = new Tensor[_runs.Count];
        _coefficients = new Tensor[_runs.Count];
        _projectors = new CgfmProjector[_matrices.Count];
        for (int j = 0; j < _runs.Count; j++)
        {
            var run = _runs[j];
            int rank = options.RankFor(run.Rows, run.Cols);
            var (basisRows, basisCols) = CgfmProjector.BasisShape(run.Rows, run.Cols, rank);
            _bases[j] = Tensor.Zeros(device, run.Count, basisRows, basisCols);
            _coefficients[j] = run.Rows >= run.Cols
                ? Tensor.Zeros(device, run.Count, run.Rows, rank)
                : Tensor.Zeros(device, run.Count, rank, run.Cols);
            for (int i = 0; i < run.Count; i++)
                _projectors[run.First + i] = new CgfmProjector(DeviceMath.Item(_bases[j], i), run.Rows, run.Cols, rank, options.Basis);
        }
        _passThrough = Gaps(_matrices, binding.Store.Count).ToArray();
        if (_runs.Count > 0) _norms = Tensor.Zeros(device, _runs.Count, 2);
        _zero = Tensor.Zeros(device);
        _stepMultiplier = Tensor.Ones(device);
        _globalFraction = Tensor.Zeros(device);
        _initialNorm = Tensor.Zeros(device);
    }

    public override void Run(StructuredInput input)
    {
        bool refresh = input.Step.Iteration % _options.ProjectionPeriod == 0;
        float lambdaLocal = (float)_options.LambdaLocal, lambdaGlobal = (float)_options.LambdaGlobal;
        using var scope = new TensorScope();
        // Scale-free: a clip coefficient c still to be applied changes neither s_t nor the fraction, and G_adj is linear
        // in G, so phase U's c·G_adj is what c·G gives.
        var device = input.Flat.Device;
        for (int j = 0; j < _runs.Count; j++)
        {
            var run = _runs[j];
            if (refresh)
                CgfmProjector.RefreshAll(new ArraySegment<CgfmProjector>(_projectors, run.First, run.Count),
                                         input.Flat.Slice(0, checked((int)run.Offset), checked((int)run.Elements)).Reshape(run.Count, run.Rows, run.Cols),
                                         _bases[j], CgfmProjector.RefreshSeed(input.Step.Iteration, run.First));
            var spec = new LowRankAdjustSpec(run.Count, run.Rows, run.Cols, _projectors[run.First].Rank, lambdaLocal, lambdaGlobal - lambdaLocal);
            using var norms = _norms!.Slice(0, j, 1);   // ||G_glob||², ||G||² of the run
            device.LowRankAdjust(spec, new BufferSlice(input.Flat.Buffer, input.Flat.Offset + run.Offset),
                                 _bases[j].DataSlice, _coefficients[j].DataSlice, norms.DataSlice);
        }
        Tensor globSq = _zero, matrixSq = _zero;
        if (_norms is not null)
        {
            var sums = _norms.Sum(0);
            (globSq, matrixSq) = (sums.Slice(0, 0, 1).Reshape(), sums.Slice(0, 1, 1).Reshape());
        }
        var passSq = _zero;
        foreach (var (start, length) in _passThrough) passSq = passSq + input.Flat.Slice(0, start, length).SumOfSquares();
        if (input.GradNormTarget is { } target)
        {
            // Phase R was skipped: ||g||² is the matrices' part plus the rest, then the clip coefficient from it.
            DeviceMath.CopyInto(matrixSq + passSq, target);
            if (input.Scale is { } scale && input.ClipNorm is { } max)
                DeviceMath.Run(StepPrograms.ClipCoefficient, [(float)max], [scale], [target]);
        }
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

    /// <summary>The ranges of [0, <paramref name="count"/>) that no matrix covers (matrices in layout order).</summary>
    private static IEnumerable<(int Start, int Length)> Gaps(IReadOnlyList<HiddenMatrix> matrices, long count)
    {
        long at = 0;
        foreach (var m in matrices.OrderBy(m => m.Offset))
        {
            if (m.Offset > at) yield return (checked((int)at), checked((int)(m.Offset - at)));
            at = m.Offset + (long)m.Rows * m.Cols;
        }
        if (count > at) yield return (checked((int)at), checked((int)(count - at)));
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
            if (_projectors[i].HasBasis) yield return ($"low_rank_basis.{_matrices[i].Name}", _projectors[i].Basis.ToArray());
        yield return ("initial_norm", _initialNorm.ToArray());
    }

    public override void ImportExtras(IReadOnlyDictionary<string, float[]> extras, long step)
    {
        for (int i = 0; i < _projectors.Length; i++)
            if (step > 0) _projectors[i].Restore(Extra(extras, $"low_rank_basis.{_matrices[i].Name}", _projectors[i].Basis.Count));
        DeviceMath.Write(_initialNorm, Extra(extras, "initial_norm", 1));
    }

    public override void Dispose()
    {
        foreach (var p in _projectors) p.Dispose();
        foreach (var b in _bases) b.Dispose();
        foreach (var c in _coefficients) c.Dispose();
        _norms?.Dispose();
        _zero.Dispose();
        _stepMultiplier.Dispose();
        _globalFraction.Dispose();
        _initialNorm.Dispose();
    }
}
