using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;

namespace Engine.Optim;

/// <summary>
/// A transform chain bound to a <see cref="ParameterStore"/>, with its state slots as flat device buffers in the
/// store's layout. <see cref="Step"/> runs the chain compiled into phases (DESIGN §6): R, one reduction of ||g||²
/// kept on the device (only when the chain clips or the norm is tracked), then U, one fused pass per segment
/// (weight-decayed, the rest) that reads p, g, state once and writes p, state once. For AdamW with clipping
/// that is 4 + 28 bytes per parameter and three launches, with no host round trip.
/// Create it outside any TensorScope; it owns its buffers until <see cref="Dispose"/>.
/// </summary>
public sealed class Optimizer : IDisposable
{
    private readonly ParameterStore _store;
    private readonly DeviceBuffer[] _slots;
    private readonly DeviceBuffer _gradNormSquared;
    private readonly UpdatePass _fused;
    private readonly bool _reducesGradNorm;
    private UpdatePass[]? _staged;
    private DeviceBuffer? _update;
    private bool _gradNormReady;

    /// <param name="trackGradNorm">
    /// Run phase R even when the chain does not clip, so <see cref="ReadGradNorm"/> works (4 more bytes per parameter).
    /// </param>
    public Optimizer(ParameterStore store, TransformChain chain, bool trackGradNorm = false)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(chain);
        if (!store.IsAllocated)
            throw new InvalidOperationException("the parameter store is not allocated yet: call Allocate() before creating its optimizer");
        _store = store;
        Chain = chain;
        _reducesGradNorm = chain.UsesGradNorm || trackGradNorm;
        _fused = StepPrograms.Fused(chain);
        _slots = chain.SlotNames.Select(_ => Device.Allocate(store.Count)).ToArray();
        _gradNormSquared = Device.Allocate(1);
    }

    public TransformChain Chain { get; }
    public ComputeDevice Device => _store.Device;

    /// <summary>Steps taken so far; the next step is number StepCount + 1 (iteration StepCount).</summary>
    public long StepCount { get; private set; }

    /// <summary>The learning rate the next step will use (null when the chain has no learning-rate link).</summary>
    public double? NextLearningRate => Chain.Schedule?.At(StepCount);

    /// <summary>One optimizer step from the gradients in the store, fused into phases R and U.</summary>
    public void Step()
    {
        var context = ReduceGradNorm();
        foreach (var (start, length, decayed) in Segments())
            Run(_fused, start, length, context with { Decayed = decayed });
        StepCount++;
    }

    /// <summary>
    /// The same step with one pass per transform through an update buffer (for tests and for measuring what
    /// fusion saves). Results equal <see cref="Step"/> up to rounding differences of the backend's compiler.
    /// </summary>
    public void StepTransformByTransform()
    {
        _staged ??= StepPrograms.Staged(Chain);
        _update ??= Device.Allocate(_store.Count);
        var context = ReduceGradNorm();
        foreach (var (start, length, decayed) in Segments())
            foreach (var pass in _staged)
                Run(pass, start, length, context with { Decayed = decayed });
        StepCount++;
    }

    /// <summary>||g|| of the gradients the last step used. Reads device memory: it waits for the step to finish.</summary>
    public double ReadGradNorm()
    {
        if (!_reducesGradNorm)
            throw new InvalidOperationException(
                $"chain '{Chain}' does not clip, so it does not reduce the gradient norm; create the optimizer with trackGradNorm: true");
        if (!_gradNormReady) throw new InvalidOperationException("no step has been taken yet, so there is no gradient norm");
        Span<float> value = stackalloc float[1];
        Device.Read(new BufferSlice(_gradNormSquared, 0), value);
        return Math.Sqrt(value[0]);
    }

    /// <summary>The step count and every state slot on the host (waits for pending steps).</summary>
    public OptimizerState ExportState()
    {
        var slots = new OptimizerSlot[_slots.Length];
        for (int k = 0; k < slots.Length; k++)
        {
            var values = new float[_store.Count];
            if (values.Length > 0) Device.Read(new BufferSlice(_slots[k], 0), values.AsSpan());
            slots[k] = new OptimizerSlot(Chain.SlotNames[k], values);
        }
        return new OptimizerState(StepCount, slots);
    }

    /// <summary>Restores what <see cref="ExportState"/> saved, for an optimizer with the same chain over the same layout.</summary>
    public void ImportState(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Hyperparameter.NonNegative(state.Step, "state.Step");
        var expected = Chain.SlotNames;
        var given = state.Slots.Select(s => s.Name).ToArray();
        if (!given.SequenceEqual(expected))
            throw new ArgumentException(
                $"ImportState: the state has slots [{string.Join(", ", given)}], chain '{Chain}' needs [{string.Join(", ", expected)}]",
                nameof(state));
        foreach (var slot in state.Slots)
            if (slot.Values.Length != _store.Count)
                throw new ArgumentException(
                    $"ImportState: slot '{slot.Name}' holds {slot.Values.Length} values, the parameter store {_store.Count}", nameof(state));
        for (int k = 0; k < _slots.Length; k++)
            if (_store.Count > 0) Device.Write(new BufferSlice(_slots[k], 0), state.Slots[k].Values.AsSpan());
        StepCount = state.Step;
    }

    private StepContext ReduceGradNorm()
    {
        if (_reducesGradNorm && _store.Count > 0)
        {
            var g = new StridedSlice(_store.GradBuffer, 0, [_store.Count], [1]);
            Device.RunFused(StepPrograms.GradNormSquared,
                new FusedLaunch([_store.Count], [g], [], [], new BufferSlice(_gradNormSquared, 0)));
            _gradNormReady = true;
        }
        return new StepContext(StepCount + 1, Decayed: false);
    }

    private IEnumerable<(long Start, long Length, bool Decayed)> Segments()
    {
        if (_store.DecayedCount > 0) yield return (0, _store.DecayedCount, true);
        if (_store.Count > _store.DecayedCount) yield return (_store.DecayedCount, _store.Count - _store.DecayedCount, false);
    }

    private void Run(UpdatePass pass, long start, long length, StepContext context)
    {
        long[] shape = [length];
        var inputs = new StridedSlice[pass.Inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
            inputs[i] = pass.Inputs[i].Kind == OperandKind.GradNormSquared
                ? new StridedSlice(_gradNormSquared, 0, shape, [0])
                : new StridedSlice(Buffer(pass.Inputs[i]), start, shape, [1]);
        var outputs = new BufferSlice[pass.Outputs.Length];
        for (int o = 0; o < outputs.Length; o++) outputs[o] = new BufferSlice(Buffer(pass.Outputs[o]), start);
        Device.RunFused(pass.Program, new FusedLaunch(shape, inputs, outputs, pass.ScalarValues(context)));
    }

    private DeviceBuffer Buffer(Operand operand) => operand.Kind switch
    {
        OperandKind.Param => _store.ValueBuffer,
        OperandKind.Grad => _store.GradBuffer,
        OperandKind.Update => _update!,
        OperandKind.State => _slots[operand.Slot],
        _ => _gradNormSquared,
    };

    public void Dispose()
    {
        foreach (var s in _slots) s.Dispose();
        _gradNormSquared.Dispose();
        _update?.Dispose();
    }
}
