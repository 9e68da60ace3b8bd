using Engine.Tensors;

namespace Engine.Optim.Structured;

/// <summary>The device side of <see cref="SpectralTransform"/>: one filter (graph, Laplacian, filter matrix) per hidden matrix.</summary>
internal sealed class SpectralLink : StructuredLink
{
    private readonly ParameterStore _store;
    private readonly IReadOnlyList<HiddenMatrix> _matrices;
    private readonly SpectralGradientFilter[] _filters;

    public SpectralLink(LinkBinding binding, SpectralOptions options)
    {
        _store = binding.Store;
        _matrices = binding.Matrices;
        _filters = _matrices.Select(m => new SpectralGradientFilter(binding.Device, m.Rows, m.Cols, options)).ToArray();
    }

    public override void Run(StructuredInput input)
    {
        using var scope = new TensorScope();
        for (int i = 0; i < _matrices.Count; i++)
            _filters[i].Step(View(_store.Values, _matrices[i]), View(input.Flat, _matrices[i]), input.Scale);
    }

    /// <summary>spectral.high_freq_fraction: Σ high-frequency energy / Σ ||W||² over the matrices that have a graph.</summary>
    public override void ReadMetrics(IDictionary<string, double> metrics)
    {
        using var scope = new TensorScope();
        double high = 0, total = 0;
        bool any = false;
        for (int i = 0; i < _matrices.Count; i++)
        {
            if (!_filters[i].HasGraph) continue;
            var (h, t) = _filters[i].HighFrequencyEnergy(View(_store.Values, _matrices[i]));
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
    }

    public override void Dispose()
    {
        foreach (var f in _filters) f.Dispose();
    }
}
