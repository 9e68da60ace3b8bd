using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;
using Engine.Tensors;

namespace Engine.Optim;

/// <summary>
/// Transform chains bound to a <see cref="ParameterStore"/>, with their state slots as flat device buffers in the
/// store's layout: one chain for every parameter, or (Muon) one for the 2-D hidden matrices and one for the others.
/// <see cref="Step"/> runs the chains compiled into the phases of DESIGN §6, with no host round trip:
/// <list type="bullet">
/// <item>R: one reduction pass over the store — ||g||² (when a chain clips, a structured link needs it, or the norm
///   is tracked) and the structured links' global scalars (SGG's Gram entries) — kept on the device; skipped when the
///   only chain's link reads every gradient in phase S anyway and gives ||g||² itself (CGFM);</item>
/// <item>S: each structured link's per-matrix dense work, writing the effective gradient in place and setting its
///   device scalars (CGFM's s_t, SGG's coefficients);</item>
/// <item>U: one fused pass per segment (weight-decayed, the rest) and chain that reads p, g, state once and writes p,
///   state once, with the links' device scalars bound as broadcast operands.</item>
/// </list>
/// For AdamW with clipping that is 4 + 28 bytes per parameter and three launches.
/// Create it outside any TensorScope; it owns its buffers until <see cref="Dispose"/>.
/// </summary>
public sealed class Optimizer : IDisposable
{
    private readonly ParameterStore _store;
    private readonly OptimizerGroup[] _groups;
    private readonly UpdatePass? _reduce;
    private readonly Tensor _reduced;
    private readonly Tensor? _gradNormSquared;
    private readonly Tensor[] _results = [];
    private readonly Dictionary<(int Group, int Link), Tensor[]> _linkResults = [];
    private readonly bool _reducesGradNorm;
    /// <summary>One chain whose only phase-R work is ||g||², which its structured link gives in phase S instead.</summary>
    private readonly bool _linkReducesGradNorm;
    private Tensor? _update;
    private bool _gradNormReady;

    /// <param name="trackGradNorm">
    /// Run phase R even when the chain does not clip, so <see cref="ReadGradNorm"/> works (4 more bytes per parameter).
    /// </param>
    /// <param name="statistics">Record every step's ||g|| and update alignment on the device (<see cref="Statistics"/>); implies <paramref name="trackGradNorm"/>.</param>
    public Optimizer(ParameterStore store, TransformChain chain, bool trackGradNorm = false, StepStatisticsOptions? statistics = null)
        : this(store, [(chain, ParameterSelection.All)], trackGradNorm, statistics)
    {
    }

    /// <summary>
    /// Two chains: <paramref name="hiddenMatrices"/> for the 2-D hidden matrices (e.g. <see cref="Optimizers.Muon"/>) and
    /// <paramref name="others"/> for every other parameter (e.g. AdamW). A clip in either uses the global norm over all.
    /// </summary>
    public Optimizer(ParameterStore store, TransformChain hiddenMatrices, TransformChain others, bool trackGradNorm = false,
                     StepStatisticsOptions? statistics = null)
        : this(store, [(hiddenMatrices, ParameterSelection.HiddenMatrices), (others, ParameterSelection.Others)], trackGradNorm, statistics)
    {
    }

    private Optimizer(ParameterStore store, (TransformChain Chain, ParameterSelection Selection)[] groups, bool trackGradNorm,
                      StepStatisticsOptions? statistics)
    {
        ArgumentNullException.ThrowIfNull(store);
        foreach (var (chain, _) in groups) ArgumentNullException.ThrowIfNull(chain);
        if (!store.IsAllocated)
            throw new InvalidOperationException("the parameter store is not allocated yet: call Allocate() before creating its optimizer");
        _store = store;
        _reducesGradNorm = trackGradNorm || statistics is not null || groups.Any(g => g.Chain.ReducesGradNorm);
        var built = new List<OptimizerGroup>();
        try
        {
            bool recordApplied = statistics is { UpdateAlignment: true };
            for (int i = 0; i < groups.Length; i++) built.Add(new OptimizerGroup(i, groups[i].Chain, groups[i].Selection, store, recordApplied));
            _groups = built.ToArray();
            (_reduce, var results) = StepPrograms.Reduce(groups.Select(g => g.Chain).ToArray(), _reducesGradNorm);
            int count = _reduce?.Program.ReductionCount ?? 0;
            _reduced = Tensor.Zeros(Device, Math.Max(1, count));
            _results = Enumerable.Range(0, count).Select(k => Structured.DeviceMath.Item(_reduced, k)).ToArray();
            if (_reducesGradNorm) _gradNormSquared = _results[0];
            _linkReducesGradNorm = _reducesGradNorm && count == 1 && _groups.Length == 1
                                   && _groups[0].Chain.Structured is { ReducesGradNormItself: true };
            foreach (var (key, indices) in results) _linkResults[key] = indices.Select(k => _results[k]).ToArray();
            foreach (var group in _groups)
                if (group.ClipNorm is not null) group.ClipScale = Tensor.Zeros(Device);
            // Allocated here, outside the caller's step scopes, which would dispose it after the first step.
            if (_groups.Any(g => g.Fused.Length > 1)) _update = Tensor.Zeros(Device, checked((int)store.Count));
            if (statistics is not null) Statistics = new StepStatistics(Device, store.Count, statistics);
        }
        catch
        {
            foreach (var group in built) group.Dispose();
            foreach (var view in _results) view.Dispose();
            _reduced?.Dispose();
            _update?.Dispose();
            throw;
        }
    }

    /// <summary>The chain of every parameter, or the hidden-matrix chain of a two-chain optimizer.</summary>
    public TransformChain Chain => _groups[0].Chain;

    /// <summary>The chain of the non-hidden parameters of a two-chain optimizer, else null.</summary>
    public TransformChain? OthersChain => _groups.Length > 1 ? _groups[1].Chain : null;

    /// <summary>Every state slot, "[group/]index:transform.state", in the order of <see cref="ExportState"/>.</summary>
    public IReadOnlyList<string> SlotNames => _groups.SelectMany(g => g.Chain.SlotNames.Select(n => g.Prefix + n)).ToArray();

    public ComputeDevice Device => _store.Device;

    /// <summary>Every step's ||g|| and update alignment, kept on the device until read; null unless asked for at construction.</summary>
    public StepStatistics? Statistics { get; }

    /// <summary>Steps taken so far; the next step is number StepCount + 1 (iteration StepCount).</summary>
    public long StepCount { get; private set; }

    /// <summary>
    /// The learning rate the next step will use (null when the chain has no learning-rate link); for a two-chain optimizer,
    /// that of the other parameters' chain (AdamW beside Muon).
    /// </summary>
    public double? NextLearningRate => (OthersChain ?? Chain).Schedule?.At(StepCount);

    /// <summary>Whether a link of the chain takes a captured reference direction (SGG): see <see cref="CaptureReferenceDirection"/>.</summary>
    public bool UsesReferenceDirection => Links.Any(l => l is IReferenceDirectionLink { CapturesReferenceDirection: true });

    /// <summary>
    /// Copies the gradients now in the store into the reference-direction buffer of the chain's SGG link (d, when
    /// <see cref="Structured.SggOptions.ReferenceDirection"/> is Captured), which it keeps until the next capture: e.g. the
    /// mean gradient of a small support set, recomputed every k steps.
    /// </summary>
    public void CaptureReferenceDirection()
    {
        var link = Links.OfType<IReferenceDirectionLink>().FirstOrDefault(l => l.CapturesReferenceDirection)
                   ?? throw new InvalidOperationException($"chain '{Chain}' has no link that takes a captured reference direction (SGG with ReferenceDirection = Captured)");
        link.CaptureReferenceDirection(_store.Grads);
    }

    /// <summary>Whether a link of the chain reads a source gradient (SGG): see <see cref="CaptureSourceGradient"/>.</summary>
    public bool UsesSourceGradient => Links.Any(l => l is ISourceGradientLink);

    /// <summary>One optimizer step from the gradients in the store, fused into phases R, S and U.</summary>
    public void Step()
    {
        var context = new StepContext(StepCount + 1, Decayed: false);
        RunReduceAndStructuredPhases();
        foreach (var group in _groups)
            for (int p = 0; p < group.Fused.Length; p++)
            {
                if (p > 0) group.Links[group.Chain.LateLinks[p - 1]]!.Run(new StructuredInput(Update, null, null, null, context));
                foreach (var (start, length, decayed, hidden) in group.Segments)
                    Run(group.Fused[p], group, start, length, context with { Decayed = decayed, Hidden = hidden });
            }
        EndStep();
    }

    private void EndStep()
    {
        StepCount++;
        Statistics?.Record(StepCount, _gradNormSquared!);
    }

    /// <summary>
    /// Phases R and S of a step without U and without counting it (to time the structured links' dense work); a late link's
    /// phase S, which needs the first part of U, is not among them.
    /// </summary>
    internal void RunReduceAndStructuredPhases()
    {
        if (_linkReducesGradNorm)
        {
            // Phase R would only reduce ||g||², which the link's phase S gives as it reads the gradient (with the clip
            // coefficient after it): one pass over the gradient fewer.
            var group = _groups[0];
            group.EarlyLinks.Single().Link.Run(new StructuredInput(_store.Grads, group.ClipScale, null, null, new StepContext(StepCount + 1, Decayed: false))
            {
                GradNormTarget = _gradNormSquared,
                ClipNorm = group.ClipNorm,
            });
            _gradNormReady = true;
            return;
        }
        var context = Reduce();
        foreach (var group in _groups)
        {
            if (group.ClipScale is { } scale)
                DeviceRun(StepPrograms.ClipCoefficient, [(float)group.ClipNorm!.Value], [scale], [_gradNormSquared!]);
            foreach (var (i, link) in group.EarlyLinks)
                link.Run(new StructuredInput(_store.Grads, group.ClipScale, _gradNormSquared, _linkResults.GetValueOrDefault((group.Index, i)), context));
        }
    }

    /// <summary>
    /// The same step with one pass per transform through an update buffer (for tests and for measuring what
    /// fusion saves); a structured link's phase S runs on that buffer, after the links before it. Results equal
    /// <see cref="Step"/> up to rounding.
    /// </summary>
    public void StepTransformByTransform()
    {
        var context = Reduce();
        foreach (var group in _groups)
        {
            var passes = group.Staged;
            for (int i = 0; i < passes.Length; i++)
            {
                if (i < group.Links.Length && group.Links[i] is { } link)
                    link.Run(new StructuredInput(i == 0 ? _store.Grads : Update, null, null, null, context));
                foreach (var (start, length, decayed, hidden) in group.Segments)
                    Run(passes[i], group, start, length, context with { Decayed = decayed, Hidden = hidden });
            }
        }
        EndStep();
    }

    /// <summary>||g|| of the gradients the last step used. Reads device memory: it waits for the step to finish.</summary>
    public double ReadGradNorm()
    {
        if (!_reducesGradNorm)
            throw new InvalidOperationException(
                $"chain '{Chain}' does not clip, so it does not reduce the gradient norm; create the optimizer with trackGradNorm: true");
        if (!_gradNormReady) throw new InvalidOperationException("no step has been taken yet, so there is no gradient norm");
        Span<float> value = stackalloc float[1];
        Device.Read(_reduced.DataSlice, value);
        return Math.Sqrt(value[0]);
    }

    /// <summary>
    /// The structured links' logging scalars of the last step, e.g. cgfm.step_multiplier, cgfm.global_fraction,
    /// sgg.cos_g_gs, sgg.clip_rate, spectral.high_freq_fraction (empty for plain chains). Reads the device: it waits
    /// for the step, so call it on log steps only.
    /// </summary>
    public IReadOnlyDictionary<string, double> ReadMethodMetrics()
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var link in Links) link.ReadMetrics(metrics);
        return metrics;
    }

    /// <summary>
    /// Copies the gradients now in the store into the source-gradient buffer of the chain's SGG link (g_s), which it
    /// keeps until the next capture. Run a backward pass of the source batch first, then zero the gradients.
    /// </summary>
    public void CaptureSourceGradient()
    {
        var link = Links.OfType<ISourceGradientLink>().FirstOrDefault()
                   ?? throw new InvalidOperationException($"chain '{Chain}' has no link that reads a source gradient (SGG)");
        link.CaptureSourceGradient(_store.Grads);
    }

    /// <summary>
    /// The first moment of the (first) chain's base optimizer — Adam's m or SGD's momentum buffer — as the device state
    /// tensor itself, store-sized (read it, do not write it); null when the chain keeps none.
    /// </summary>
    public Tensor? FirstMoment => _groups[0].Chain.FirstMomentAfter(-1) is { } moment ? _groups[0].Slots[moment.Slot] : null;

    /// <summary>The step count, every state slot and the structured links' extra state on the host (waits for pending steps).</summary>
    public OptimizerState ExportState()
    {
        var slots = new List<OptimizerSlot>();
        var extras = new List<OptimizerSlot>();
        foreach (var group in _groups)
        {
            for (int k = 0; k < group.Slots.Length; k++)
                slots.Add(new OptimizerSlot(group.Prefix + group.Chain.SlotNames[k], group.Slots[k].ToArray()));
            for (int i = 0; i < group.Links.Length; i++)
                if (group.Links[i] is { } link)
                    foreach (var (key, values) in link.ExportExtras())
                        extras.Add(new OptimizerSlot(ExtraName(group, i, key), values));
        }
        if (Statistics?.ExportPreviousUpdate() is { } previous) extras.Add(new OptimizerSlot(PreviousUpdateExtra, previous));
        return new OptimizerState(StepCount, slots) { Extras = extras };
    }

    /// <summary>Restores what <see cref="ExportState"/> saved, for an optimizer with the same chains over the same layout.</summary>
    public void ImportState(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Hyperparameter.NonNegative(state.Step, "state.Step");
        var expected = SlotNames;
        var given = state.Slots.Select(s => s.Name).ToArray();
        if (!given.SequenceEqual(expected))
            throw new ArgumentException(
                $"ImportState: the state has slots [{string.Join(", ", given)}], chain '{Chain}' needs [{string.Join(", ", expected)}]",
                nameof(state));
        foreach (var slot in state.Slots)
            if (slot.Values.Length != _store.Count)
                throw new ArgumentException(
                    $"ImportState: slot '{slot.Name}' holds {slot.Values.Length} values, the parameter store {_store.Count}", nameof(state));
        var extras = state.Extras.ToDictionary(e => e.Name, e => e.Values, StringComparer.Ordinal);
        int s = 0;
        foreach (var group in _groups)
        {
            foreach (var slot in group.Slots)
                if (_store.Count > 0) Device.Write(slot.DataSlice, state.Slots[s++].Values.AsSpan());
            for (int i = 0; i < group.Links.Length; i++)
                if (group.Links[i] is { } link)
                {
                    string prefix = ExtraName(group, i, "");
                    link.ImportExtras(extras.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal))
                                            .ToDictionary(e => e.Key[prefix.Length..], e => e.Value), state.Step);
                }
        }
        Statistics?.ImportPreviousUpdate(extras.GetValueOrDefault(PreviousUpdateExtra));
        StepCount = state.Step;
    }

    /// <summary>The extra state holding u_{t−1} when update alignment is recorded (<see cref="StepStatistics"/>).</summary>
    private const string PreviousUpdateExtra = "statistics.previous_update";

    /// <summary>
    /// The update buffer of split fused updates (allocated with the optimizer) and of the transform-by-transform step
    /// (allocated on first use).
    /// </summary>
    private Tensor Update => _update ??= Tensor.Zeros(Device, checked((int)_store.Count));

    private IEnumerable<StructuredLink> Links => _groups.SelectMany(g => g.Links).OfType<StructuredLink>();

    private static string ExtraName(OptimizerGroup group, int link, string key) =>
        $"{group.Prefix}{link}:{group.Chain.Transforms[link].Name}.{key}";

    private StepContext Reduce()
    {
        if (_reduce is not null && _store.Count > 0)
        {
            Run(_reduce, _groups[0], 0, _store.Count, new StepContext(StepCount + 1, Decayed: false), _reduced.DataSlice);
            _gradNormReady = _reducesGradNorm;
        }
        return new StepContext(StepCount + 1, Decayed: false);
    }

    private void Run(UpdatePass pass, OptimizerGroup group, long start, long length, StepContext context, BufferSlice? reductions = null)
    {
        long[] shape = [length];
        var inputs = new StridedSlice[pass.Inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var operand = pass.Inputs[i];
            inputs[i] = operand.Kind switch
            {
                OperandKind.GradNormSquared => new StridedSlice(_reduced.Buffer, _reduced.Offset, shape, [0]),
                OperandKind.LinkScalar => Broadcast(LinkOf(operand).Scalar(operand.Name!), shape),
                _ => Flat(Buffer(operand, group), start, shape, pass.Program.InputStorage[i], pass.Program.InputNames[i]),
            };
        }
        var outputs = new BufferSlice[pass.Outputs.Length];
        for (int o = 0; o < outputs.Length; o++)
        {
            var target = Buffer(pass.Outputs[o], group);
            outputs[o] = new BufferSlice(target.Buffer, target.Offset + start);
        }
        Device.RunFused(pass.Program, new FusedLaunch(shape, inputs, outputs, pass.ScalarValues(context), reductions));
    }

    private static StridedSlice Broadcast(BufferSlice scalar, long[] shape) => new(scalar.Buffer, scalar.Offset, shape, [0]);

    private static StridedSlice Flat(Tensor t, long start, long[] shape, DType storage, string name)
    {
        // A pass reads a buffer as the type its program declared: a mismatch would reinterpret the bytes.
        if (t.DType != storage)
            throw new InvalidOperationException($"pass operand '{name}' is declared {storage} but its buffer holds {t.DType}");
        return new(t.Buffer, t.Offset + start, shape, [1]);
    }

    private StructuredLink LinkOf(Operand operand) =>
        _groups[operand.Group].Links[operand.Slot]
        ?? throw new InvalidOperationException($"link {operand.Slot} of chain '{_groups[operand.Group].Chain}' is not structured");

    private Tensor Buffer(Operand operand, OptimizerGroup group) => operand.Kind switch
    {
        OperandKind.Param => _store.Values,
        OperandKind.Grad => _store.Grads,
        OperandKind.Update => Update,
        OperandKind.AppliedUpdate => Statistics!.AppliedUpdate,
        OperandKind.State => _groups[operand.Group].Slots[operand.Slot],
        OperandKind.LinkFlat => LinkOf(operand).Flat(operand.Name!),
        _ => throw new InvalidOperationException($"operand {operand} is not a flat buffer (group {group.Index})"),
    };

    private static void DeviceRun(FusedProgram program, float[] scalars, Tensor[] outputs, Tensor[] inputs)
    {
        var device = outputs[0].Device;
        var operands = inputs.Select(t => new StridedSlice(t.Buffer, t.Offset, [1], [0])).ToArray();
        device.RunFused(program, new FusedLaunch([1], operands, outputs.Select(o => o.DataSlice).ToArray(), scalars));
    }

    public void Dispose()
    {
        foreach (var group in _groups) group.Dispose();
        foreach (var view in _results) view.Dispose();
        _reduced?.Dispose();
        _update?.Dispose();
        Statistics?.Dispose();
    }
}
