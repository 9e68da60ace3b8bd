using Engine.Kernels.Devices;
using Engine.Tensors;

namespace Engine.Autograd;

/// <summary>
/// Records the ops of a forward pass, in order, so <see cref="Backward"/> can walk them in reverse.
/// Opening a tape makes it this thread's current tape until it is disposed (tapes nest; dispose innermost
/// first). Ops record only while a tape is open, no <see cref="NoGradScope"/> is, and some input requires a
/// gradient. The tape keeps its entries until disposed, so several backward passes over one forward pass
/// accumulate; disposing it releases the tensors its backward rules saved.
/// </summary>
public sealed class GradientTape : IDisposable
{
    [ThreadStatic] private static GradientTape? _current;

    private readonly GradientTape? _parent;
    private readonly List<TapeEntry> _entries = [];
    private bool _disposed;

    public GradientTape()
    {
        _parent = _current;
        _current = this;
    }

    /// <summary>The innermost open tape on this thread, or null.</summary>
    public static GradientTape? Current => _current;

    /// <summary>True when an op run now would be recorded (given an input that requires a gradient).</summary>
    public static bool IsRecording => _current is not null && !NoGradScope.IsActive;

    /// <summary>Number of recorded ops.</summary>
    public int Count => _entries.Count;

    /// <summary>Names of the recorded ops in forward order.</summary>
    public IReadOnlyList<string> Ops => _entries.Select(e => e.Op).ToArray();

    /// <summary>
    /// Backpropagates from <paramref name="loss"/>, a one-element variable recorded on this tape: seeds its
    /// gradient with 1 and adds d(loss)/d(leaf) into the <see cref="Variable.Grad"/> of every leaf reached.
    /// </summary>
    public void Backward(Variable loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (loss.Creator is { } creator && !ReferenceEquals(creator.Tape, this))
            throw new InvalidOperationException($"{loss.Describe()} was recorded on a different tape");
        BackwardFrom(loss, seed: null);
    }

    /// <summary>
    /// Runs <paramref name="op"/>'s bookkeeping: when recording and some input requires a gradient, appends an
    /// entry and returns an output that requires one; otherwise releases <paramref name="saved"/> and returns a
    /// plain leaf. Takes ownership of <paramref name="value"/> and <paramref name="saved"/>.
    /// </summary>
    internal static Variable Record(string op, Tensor value, Variable[] inputs, BackwardRule rule, params Tensor[] saved)
    {
        var tape = _current;
        if (tape is null || NoGradScope.IsActive || !inputs.Any(v => v.RequiresGrad))
        {
            foreach (var t in saved) t.Dispose();
            return new Variable(value);
        }
        var entry = new TapeEntry(tape, tape._entries.Count, op, inputs, rule, saved);
        entry.Output = Variable.Recorded(value, entry);
        tape._entries.Add(entry);
        return entry.Output;
    }

    internal static void BackwardFrom(Variable output, Tensor? seed)
    {
        var value = output.Value;
        if (seed is null && value.Count != 1)
            throw new InvalidOperationException(
                $"Backward needs a scalar loss (one element), but {output.Describe()} has {value.Count} elements; " +
                "reduce it first (Sum() or Mean()) or pass the output gradient explicitly");
        if (seed is not null)
        {
            seed.ThrowIfDisposed();
            if (!seed.Shape.SequenceEqual(value.Shape) || seed.DType != DType.Float32 || !ReferenceEquals(seed.Device, value.Device))
                throw new ArgumentException(
                    $"the output gradient ({seed.DType} {ShapeMath.Format(seed.Shape)} on '{seed.Device.Id}') must be Float32 " +
                    $"with the shape and device of {output.Describe()} on '{value.Device.Id}'");
        }
        if (!output.RequiresGrad)
            throw new InvalidOperationException(
                $"{output.Describe()} does not require a gradient: none of its inputs requires one, or it was computed " +
                "with no GradientTape open or inside a NoGradScope");

        var initial = seed?.Clone() ?? Tensor.Ones(value.Device, value.Shape.ToArray());
        if (output.Creator is not { } creator)
        {
            using (initial) output.AccumulateGrad(initial);
            return;
        }
        creator.Tape.Run(creator, initial);
    }

    /// <summary>Walks the tape from <paramref name="start"/> back to its first entry. Takes ownership of <paramref name="initial"/>.</summary>
    private void Run(TapeEntry start, Tensor initial)
    {
        if (_disposed)
        {
            initial.Dispose();
            throw new ObjectDisposedException(nameof(GradientTape),
                $"the tape that recorded {start.Output.Describe()} was disposed; run Backward before disposing the tape");
        }
        // Gradients of intermediate outputs not yet consumed, keyed by variable identity.
        var pending = new Dictionary<Variable, Tensor>(ReferenceEqualityComparer.Instance) { [start.Output] = initial };
        try
        {
            for (int i = start.Index; i >= 0; i--)
            {
                var entry = _entries[i];
                if (!pending.Remove(entry.Output, out var outputGrad)) continue;
                Tensor?[] inputGrads;
                using (outputGrad) inputGrads = entry.Rule(outputGrad);
                try
                {
                    for (int k = 0; k < inputGrads.Length; k++)
                        if (inputGrads[k] is { } g) Deliver(entry, entry.Inputs[k], g, pending, ref inputGrads[k]);
                }
                finally
                {
                    foreach (var g in inputGrads) g?.Dispose();
                }
            }
        }
        finally
        {
            foreach (var t in pending.Values) t.Dispose();
        }
    }

    /// <summary>Routes one input gradient: into the pending map for recorded variables, into Grad for leaves.</summary>
    private void Deliver(TapeEntry entry, Variable input, Tensor gradient, Dictionary<Variable, Tensor> pending, ref Tensor? slot)
    {
        if (!input.RequiresGrad) return;
        if (!gradient.Shape.SequenceEqual(input.Value.Shape))
            throw new InvalidOperationException(
                $"backward rule of {entry.Op} produced a gradient of shape {ShapeMath.Format(gradient.Shape)} for {input.Describe()}");
        if (input.Creator is { } creator && ReferenceEquals(creator.Tape, this))
        {
            if (pending.Remove(input, out var earlier))
            {
                using (earlier) pending[input] = earlier + gradient;
                return;
            }
            pending[input] = gradient;
            slot = null;
            return;
        }
        input.AccumulateGrad(gradient);
    }

    public void Dispose()
    {
        if (_disposed) return;
        if (!ReferenceEquals(_current, this))
            throw new InvalidOperationException("GradientTapes must be disposed in the reverse order of their creation (innermost first)");
        _disposed = true;
        _current = _parent;
        foreach (var entry in _entries)
            foreach (var t in entry.Saved) t.Dispose();
        _entries.Clear();
    }
}
