using Engine.Kernels.Devices;
using Engine.Tensors;

namespace Engine.Optim.Structured;

/// <summary>
/// CGFM-LR (METHODS §1b) over a model's 2-D hidden matrices: each gradient G is split into a low-rank global part
/// G_glob (top-r singular subspace, refreshed every T_p steps) and the local rest, reweighted in place to
/// G_adj = λ_l G + (λ_g − λ_l) G_glob, and one global step multiplier s_t is formed on the device from
/// Σ||G||², Σ||G_glob||² and the pass-through parameters (which keep G_adj = G, λ = 1).
/// <para>Phases (DESIGN §6):</para>
/// <list type="bullet">
/// <item>refresh (every T_p steps; the Gram matrix on the device, its eigenvectors on the host): the top-r singular vectors of each G for its basis (<see cref="CgfmProjector"/>);</item>
/// <item>S: per matrix, G_adj written in place by <see cref="ComputeDevice.LowRankAdjust"/>, which also gives ||G_glob||²
///   (the coefficients' norm) and ||G||² of G as it was;</item>
/// <item>R: ||P||² for pass-through params, then one tiny program forms s_t and ||g_glob||/||g|| — all device-resident;</item>
/// <item>U: G_adj is written over the gradient, so the optimizer's fused update reads it as its gradient and takes
///   lr·s_t as its learning rate (the faithful SGD form: θ ← θ − η s_t G_adj; with AdamW the decay stays lr·wd).</item>
/// </list>
/// Create it outside any TensorScope: it allocates its bases and scalars once and owns them until disposed.
/// </summary>
public sealed class Cgfm : IDisposable
{
    private readonly CgfmProjector[] _projectors;
    /// <summary>Per matrix: its coefficients in the basis, G Q or PᵀG, of the last step.</summary>
    private readonly Tensor[] _coefficients;
    private readonly int _passThroughCount;
    /// <summary>Rows (matrices, then pass-through params) of (||G_glob||², ||G||², ||P||²); unused cells stay 0.</summary>
    private readonly Tensor _norms;
    private readonly Tensor _stepMultiplier;
    private readonly Tensor _globalFraction;
    private readonly Tensor _initialNorm;

    /// <param name="matrixShapes">(m, n) of each 2-D hidden matrix, in the order <see cref="Step"/> receives their gradients.</param>
    /// <param name="passThroughCount">How many other parameters (embeddings, biases, gains) <see cref="Step"/> receives.</param>
    public Cgfm(ComputeDevice device, IReadOnlyList<(int Rows, int Cols)> matrixShapes, int passThroughCount, CgfmOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(matrixShapes);
        if (passThroughCount < 0)
            throw new ArgumentOutOfRangeException(nameof(passThroughCount), passThroughCount, $"{nameof(passThroughCount)} must be >= 0");
        if (matrixShapes.Count + passThroughCount == 0)
            throw new ArgumentException("CGFM needs at least one parameter (matrix or pass-through)", nameof(matrixShapes));
        Options = options ?? new CgfmOptions();
        Device = device;
        _projectors = matrixShapes.Select(s => new CgfmProjector(device, s.Rows, s.Cols, Options.RankFor(s.Rows, s.Cols), Options.Basis)).ToArray();
        _coefficients = _projectors.Select(p => p.RightSide ? Tensor.Zeros(device, p.Rows, p.Rank) : Tensor.Zeros(device, p.Rank, p.Cols)).ToArray();
        _passThroughCount = passThroughCount;
        _norms = Tensor.Zeros(device, _projectors.Length + passThroughCount, 3);
        _stepMultiplier = Tensor.Zeros(device);
        _globalFraction = Tensor.Zeros(device);
        _initialNorm = Tensor.Zeros(device);
    }

    public CgfmOptions Options { get; }
    public ComputeDevice Device { get; }
    public IReadOnlyList<CgfmProjector> Projectors => _projectors;

    /// <summary>Steps taken; the basis refreshes when this is a multiple of T_p (0 included).</summary>
    public long StepCount { get; private set; }

    /// <summary>s_t of the last step, a rank-0 device tensor: multiply the learning rate by it without a host sync.</summary>
    public Tensor StepMultiplier => _stepMultiplier;

    /// <summary>||g_glob|| / ||g|| of the last step (rank-0, device).</summary>
    public Tensor GlobalFraction => _globalFraction;

    /// <summary>
    /// One step: refreshes bases when due, overwrites each matrix gradient with G_adj, and sets
    /// <see cref="StepMultiplier"/> and <see cref="GlobalFraction"/>. Pass-through gradients are only read.
    /// </summary>
    public void Step(IReadOnlyList<Tensor> matrixGrads, IReadOnlyList<Tensor> passThroughGrads)
    {
        ArgumentNullException.ThrowIfNull(matrixGrads);
        ArgumentNullException.ThrowIfNull(passThroughGrads);
        if (matrixGrads.Count != _projectors.Length || passThroughGrads.Count != _passThroughCount)
            throw new ArgumentException(
                $"CGFM was built for {_projectors.Length} matrices and {_passThroughCount} pass-through params, " +
                $"got {matrixGrads.Count} and {passThroughGrads.Count}");
        bool refresh = StepCount % Options.ProjectionPeriod == 0;
        float lambdaLocal = (float)Options.LambdaLocal, lambdaGlobal = (float)Options.LambdaGlobal;

        using var scope = new TensorScope();
        using var flatNorms = _norms.Reshape(-1);
        for (int i = 0; i < _projectors.Length; i++)
        {
            var (g, p) = (matrixGrads[i], _projectors[i]);
            DeviceMath.RequireMatrix(g, p.Rows, p.Cols, $"Cgfm.Step: matrix gradient {i}");
            if (!g.IsContiguous) throw new ArgumentException($"Cgfm.Step: matrix gradient {i} must be dense (it is rewritten in place)");
            if (refresh) p.Refresh(g, CgfmProjector.RefreshSeed(StepCount, i));
            // Writes ||G_glob||² and ||G||² (as G was) into the row's first two cells.
            Device.LowRankAdjust(new LowRankAdjustSpec(1, p.Rows, p.Cols, p.Rank, lambdaLocal, lambdaGlobal - lambdaLocal),
                                 g.DataSlice, p.Basis.DataSlice, _coefficients[i].DataSlice, flatNorms.Slice(0, 3 * i, 2).DataSlice);
        }
        for (int j = 0; j < _passThroughCount; j++)
        {
            var slot = flatNorms.Slice(0, 3 * (_projectors.Length + j) + 2, 1);
            DeviceMath.Run(CgfmPrograms.SumSquares, [], [], [passThroughGrads[j]], slot);
        }
        var sums = _norms.Sum(0);
        // The multiplier reads (Σ||G||², Σ||G_glob||², Σ||P||²).
        Tensor[] columns = [sums.Slice(0, 1, 1).Reshape(), sums.Slice(0, 0, 1).Reshape(), sums.Slice(0, 2, 1).Reshape()];
        float[] lambdas = [lambdaLocal * lambdaLocal, lambdaGlobal * lambdaGlobal];
        var program = CgfmPrograms.Multiplier(Options.StepRule);
        if (Options.StepRule == CgfmStepRule.Literal)
            DeviceMath.Run(program, [.. lambdas, StepCount == 0 ? 1f : 0f],
                           [_initialNorm, _stepMultiplier, _globalFraction], [.. columns, _initialNorm]);
        else
            DeviceMath.Run(program, lambdas, [_stepMultiplier, _globalFraction], columns);
        StepCount++;
    }

    /// <summary>s_t of the last step on the host (waits for the step).</summary>
    public double ReadStepMultiplier() => _stepMultiplier.Item();

    /// <summary>||g_glob|| / ||g|| of the last step on the host (waits for the step).</summary>
    public double ReadGlobalFraction() => _globalFraction.Item();

    public void Dispose()
    {
        foreach (var p in _projectors) p.Dispose();
        foreach (var c in _coefficients) c.Dispose();
        _norms.Dispose();
        _stepMultiplier.Dispose();
        _globalFraction.Dispose();
        _initialNorm.Dispose();
    }
}
