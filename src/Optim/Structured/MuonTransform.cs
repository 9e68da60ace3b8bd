using Engine.Kernels.Fusion;

namespace Engine.Optim.Structured;

/// <summary>
/// Muon (METHODS §4.4) as a chain link for the hidden matrices only, for Chain(ClipGlobalNorm?, MuonTransform,
/// AddDecayedWeights, ScaleByLearningRate) next to an AdamW chain for the other parameters (<see cref="Optimizers.Muon"/>).
/// Phase S updates the momentum slot from the (clipped) gradient, orthogonalizes the Nesterov look-ahead by Newton–Schulz
/// and writes sqrt(max(1, m/n))·X over the gradient; phase U is the decoupled decay and the learning rate.
/// The decay comes from the chain's AddDecayedWeights, so <see cref="MuonOptions.WeightDecay"/> must be 0 here.
/// </summary>
public sealed class MuonTransform : StructuredTransform
{
    public MuonTransform(MuonOptions? options = null) : base("muon")
    {
        Options = options ?? new MuonOptions();
        if (Options.WeightDecay != 0)
            throw new ArgumentException(
                $"MuonTransform: weight decay {Options.WeightDecay} belongs in the chain (AddDecayedWeights), not in MuonOptions", nameof(options));
    }

    public MuonOptions Options { get; }

    public override IReadOnlyList<string> StateNames { get; } = ["momentum"];

    public override bool AbsorbsInputScale => true;

    internal override bool HiddenMatricesOnly => true;

    /// <summary>The orthogonalized step phase S wrote in place of the gradient.</summary>
    public override Expr Apply(Expr update, UpdateContext context) => context.LinkInput;

    internal override StructuredLink Bind(LinkBinding binding) => new MuonLink(binding, Options);
}
