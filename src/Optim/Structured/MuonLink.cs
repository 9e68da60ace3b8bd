using Engine.Tensors;

namespace Engine.Optim.Structured;

/// <summary>
/// The device side of <see cref="MuonTransform"/>: momentum (a store-sized slot) and Newton–Schulz in batches of equal
/// matrices (<see cref="MatrixRun"/>), one launch per product for a whole batch instead of one per matrix.
/// </summary>
internal sealed class MuonLink : StructuredLink
{
    private readonly MuonOptions _options;
    private readonly IReadOnlyList<MatrixRun> _runs;
    private readonly Tensor _momentum;
    private readonly Tensor _one;

    public MuonLink(LinkBinding binding, MuonOptions options)
    {
        _options = options;
        _runs = MatrixRun.Of(binding.Matrices, binding.Store.DecayedCount).SelectMany(r => r.Split(MatrixRun.BatchElements)).ToArray();
        _momentum = binding.Slots[binding.FirstSlot];
        _one = Tensor.Ones(binding.Device);
    }

    public override void Run(StructuredInput input)
    {
        foreach (var run in _runs)
        {
            using var scope = new TensorScope();
            var g = View(input.Flat, run);
            var momentum = View(_momentum, run);
            var update = Tensor.Zeros(g.Device, run.Count, run.Rows, run.Cols);
            DeviceMath.Run(MuonPrograms.Momentum(_options.Nesterov), [(float)_options.Momentum], [momentum, update],
                           [momentum, g, input.Scale ?? _one]);
            var orthogonal = Muon.Orthogonalize(update, _options.NewtonSchulzSteps);
            float scale = (float)_options.StepScale(run.Rows, run.Cols);
            DeviceMath.Run(MuonPrograms.Scaled, [scale], [g], [orthogonal]);
        }
    }

    public override void Dispose() => _one.Dispose();
}
