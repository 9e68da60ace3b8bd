using Engine.Tensors;

namespace Engine.Optim.Structured;

/// <summary>The device side of <see cref="MuonTransform"/>: momentum (a store-sized slot) and Newton–Schulz per matrix.</summary>
internal sealed class MuonLink : StructuredLink
{
    private readonly MuonOptions _options;
    private readonly IReadOnlyList<HiddenMatrix> _matrices;
    private readonly Tensor _momentum;
    private readonly Tensor _one;

    public MuonLink(LinkBinding binding, MuonOptions options)
    {
        _options = options;
        _matrices = binding.Matrices;
        _momentum = binding.Slots[binding.FirstSlot];
        _one = Tensor.Ones(binding.Device);
    }

    public override void Run(StructuredInput input)
    {
        foreach (var m in _matrices)
        {
            using var scope = new TensorScope();
            var g = View(input.Flat, m);
            var momentum = View(_momentum, m);
            var update = Tensor.Zeros(g.Device, m.Rows, m.Cols);
            DeviceMath.Run(MuonPrograms.Momentum(_options.Nesterov), [(float)_options.Momentum], [momentum, update],
                           [momentum, g, input.Scale ?? _one]);
            var orthogonal = Muon.Orthogonalize(update, _options.NewtonSchulzSteps);
            float scale = (float)Math.Sqrt(Math.Max(1.0, (double)m.Rows / m.Cols));
            DeviceMath.Run(MuonPrograms.Scaled, [scale], [g], [orthogonal]);
        }
    }

    public override void Dispose() => _one.Dispose();
}
