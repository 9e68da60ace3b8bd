using Engine.Kernels.Devices;
using Engine.Tensors;

namespace Engine.Optim.Structured;

/// <summary>
/// The device side of <see cref="SpectralTransform"/>: one filter (graph, Laplacian, filter matrix) per hidden matrix, the
/// matrices of a run of equal ones kept as batches, so that a run's step is one batched product F·G' (plus one for the
/// penalty) however many matrices it holds. Graphs stay per matrix: each is rebuilt on the host from its own rows.
/// </summary>
internal sealed class SpectralLink : StructuredLink
{
    private readonly ParameterStore _store;
    private readonly SpectralOptions _options;
    private readonly IReadOnlyList<HiddenMatrix> _matrices;
    private readonly MatrixRun[] _runs;
    private readonly SpectralMatrices[] _batches;
    private readonly SpectralGradientFilter[] _filters;
    /// <summary>W_ref per run ([count, rows, cols]), null for W_ref = 0; taken at the first step unless a checkpoint restored it.</summary>
    private readonly Tensor[]? _references;
    private bool _referenceTaken;
    private readonly Tensor _one;

    /// <summary>
    /// Elements per batch. On the cpu about 1 MB (2 [100, 1000] matrices), so a batch's product stays in the L2 for the
    /// copy that follows (2-core VM, 100 [100, 1000] matrices, K = 8, ms per step in two or four runs: batches of 1 matrix
    /// 20.5–21.6, of 3 20.3–20.6, of 20 (Muon's 2M elements) 23.9–25.9); on a GPU, where launches cost host time, 2M
    /// elements (an H100: 0.57 ms a step, 5.2 ms one matrix at a time).
    /// </summary>
    private static long BatchElements(ComputeDevice device) => device.Kind == DeviceKind.Cpu ? 1 << 18 : MatrixRun.BatchElements;

    public SpectralLink(LinkBinding binding, SpectralOptions options)
    {
        _store = binding.Store;
        _options = options;
        _matrices = binding.Matrices;
        _runs = MatrixRun.Of(_matrices, binding.Store.DecayedCount).SelectMany(r => r.Split(BatchElements(binding.Device))).ToArray();
        _batches = _runs.Select(r => SpectralMatrices.Allocate(binding.Device, r.Count, r.Rows, r.Cols, options)).ToArray();
        _filters = new SpectralGradientFilter[_matrices.Count];
        for (int b = 0; b < _runs.Length; b++)
            for (int i = 0; i < _runs[b].Count; i++)
            {
                var m = _matrices[_runs[b].First + i];
                _filters[_runs[b].First + i] = new SpectralGradientFilter(binding.Device, m.Rows, m.Cols, options, _batches[b].At(i));
            }
        if (options.Reference == SpectralReference.Start)
            _references = _runs.Select(r => Tensor.Zeros(binding.Device, r.Count, r.Rows, r.Cols)).ToArray();
        _one = Tensor.Ones(binding.Device);
    }

    public override void Run(StructuredInput input)
    {
        var scale = input.Scale ?? _one;
        TakeReference();
        for (int b = 0; b < _runs.Length; b++)
        {
            using var scope = new TensorScope();
            var run = _runs[b];
            var grad = View(input.Flat, run);
            SpectralGradientFilter.UpdateGradientEma(_batches[b], _options, grad, scale);
            int graphs = 0;
            for (int i = 0; i < run.Count; i++)
                if (_filters[run.First + i].Advance(View(_store.Values, _matrices[run.First + i]))) graphs++;
            if (graphs == 0) continue;
            if (graphs == run.Count)
            {
                SpectralGradientFilter.Apply(_batches[b], _options, Delta(b), grad, scale);
                continue;
            }
            // The filters of a run share one schedule, but a checkpoint can restore some graphs and not others: then
            // each filter with a graph runs alone, and the gradients of the others pass unchanged (their filter
            // matrices are still zero).
            for (int i = 0; i < run.Count; i++)
            {
                var m = _matrices[run.First + i];
                var filter = _filters[run.First + i];
                if (filter.HasGraph)
                    SpectralGradientFilter.Apply(filter.Matrices, _options, Delta(b, i), View(input.Flat, m), scale);
            }
        }
    }

    private void TakeReference()
    {
        if (_references is null || _referenceTaken) return;
        for (int b = 0; b < _runs.Length; b++) DeviceMath.CopyInto(View(_store.Values, _runs[b]), _references[b]);
        _referenceTaken = true;
    }

    /// <summary>ΔW = W − W_ref of run <paramref name="run"/> (a new tensor in the caller's scope, or the weights' view for W_ref = 0).</summary>
    private Tensor Delta(int run) =>
        _references is null ? View(_store.Values, _runs[run]) : View(_store.Values, _runs[run]) - _references[run];

    /// <summary>ΔW of matrix <paramref name="index"/> of run <paramref name="run"/>.</summary>
    private Tensor Delta(int run, int index)
    {
        var weights = View(_store.Values, _matrices[_runs[run].First + index]);
        return _references is null ? weights : weights - Reference(run, index);
    }

    private Tensor Reference(int run, int index) => DeviceMath.Item(_references![run], index);

    /// <summary>spectral.high_freq_fraction: Σ high-frequency energy / Σ ||ΔW||² over the matrices that have a graph.</summary>
    public override void ReadMetrics(IDictionary<string, double> metrics)
    {
        using var scope = new TensorScope();
        double high = 0, total = 0;
        bool any = false;
        for (int b = 0; b < _runs.Length; b++)
            for (int i = 0; i < _runs[b].Count; i++)
            {
                var filter = _filters[_runs[b].First + i];
                if (!filter.HasGraph) continue;
                var (h, t) = filter.HighFrequencyEnergy(View(_store.Values, _matrices[_runs[b].First + i]),
                                                        _references is null ? null : Reference(b, i));
                high += h;
                total += t;
                any = true;
            }
        if (any) metrics["spectral.high_freq_fraction"] = total == 0 ? 0 : high / total;
    }

    public override IEnumerable<(string Key, float[] Values)> ExportExtras()
    {
        for (int i = 0; i < _filters.Length; i++)
        {
            if (_filters[i].GraphRows is { } rows) yield return ($"graph_rows.{_matrices[i].Name}", rows);
            if (_filters[i].GradientEma is { } ema) yield return ($"gradient_ema.{_matrices[i].Name}", ema.ToArray());
        }
        if (_references is null || !_referenceTaken) yield break;
        for (int b = 0; b < _runs.Length; b++)
            for (int i = 0; i < _runs[b].Count; i++)
                yield return ($"reference.{_matrices[_runs[b].First + i].Name}", ReadReference(b, i));
    }

    private float[] ReadReference(int run, int index)
    {
        using var scope = new TensorScope();
        return Reference(run, index).ToArray();
    }

    public override void ImportExtras(IReadOnlyDictionary<string, float[]> extras, long step)
    {
        for (int i = 0; i < _filters.Length; i++)
        {
            var name = _matrices[i].Name;
            if (extras.TryGetValue($"graph_rows.{name}", out var rows)) _filters[i].RebuildFrom(rows);
            if (_filters[i].GradientEma is { } ema) DeviceMath.Write(ema, Extra(extras, $"gradient_ema.{name}", ema.Count));
            _filters[i].StepCount = step;
        }
        if (_references is null || step == 0) return;
        // A run past its first step has a W_ref: the weights of that step, not of the resume.
        for (int b = 0; b < _runs.Length; b++)
            for (int i = 0; i < _runs[b].Count; i++)
            {
                using var scope = new TensorScope();
                var reference = Reference(b, i);
                DeviceMath.Write(reference, Extra(extras, $"reference.{_matrices[_runs[b].First + i].Name}", reference.Count));
            }
        _referenceTaken = true;
    }

    public override void Dispose()
    {
        foreach (var f in _filters) f.Dispose();
        foreach (var b in _batches) b.Dispose();
        foreach (var r in _references ?? []) r.Dispose();
        _one.Dispose();
    }
}
