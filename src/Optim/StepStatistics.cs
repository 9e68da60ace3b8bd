using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;
using Engine.Optim.Structured;
using Engine.Tensors;

namespace Engine.Optim;

/// <summary>What an <see cref="Optimizer"/> records of every step for METHODS §0's stability metrics.</summary>
/// <param name="capacity">Steps kept on the device between two <see cref="StepStatistics.ReadNew"/> calls; older ones are dropped.</param>
/// <param name="updateAlignment">
/// Also record cos(u_t, u_{t−1}) of the updates applied (DA): the fused update writes u_t (in bfloat16) to one of two
/// store-sized buffers and one more pass reduces it against the other, 6 bytes per parameter more per step.
/// </param>
public sealed record StepStatisticsOptions
{
    public StepStatisticsOptions(int capacity, bool updateAlignment = true)
    {
        Capacity = capacity;
        UpdateAlignment = updateAlignment;
    }

    public int Capacity { get; init => field = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(Capacity), value, "must be positive"); }

    public bool UpdateAlignment { get; init; }
}

/// <summary>
/// One step's record: its number, ||g|| of the gradients in the store when the step began (the raw minibatch gradient,
/// before clipping and before any method's transform), and cos(u_t, u_{t−1}) (null on the first step or when not recorded).
/// </summary>
public readonly record struct StepRecord(long Step, double GradNorm, double? UpdateCosine);

/// <summary>
/// Per-step scalars an optimizer keeps on the device until they are read: ||g_t|| (for GV) and the cosine of the update
/// applied with the one before (for DA). Reading every step's value at once would sync the host with the device every
/// step; here a step only adds a one-element launch into a ring, read on log steps.
/// </summary>
public sealed class StepStatistics : IDisposable
{
    /// <summary>How the applied updates are kept: bfloat16, as only their cosine is wanted.</summary>
    internal const DType AppliedUpdateStorage = DType.BFloat16;

    private static readonly FusedProgram AlignmentReductions = BuildAlignmentReductions();
    private static readonly FusedProgram RecordWithCosine = BuildRecord(cosine: true);
    private static readonly FusedProgram RecordNormOnly = BuildRecord(cosine: false);

    private readonly Tensor _gradNorms;
    private readonly Tensor? _cosines;
    private readonly Tensor? _alignment;
    private readonly Tensor[] _alignmentResults = [];
    private readonly Tensor[] _applied = [];
    private readonly Queue<(long Step, int Slot, bool HasCosine)> _unread = new();
    private int _next;
    private bool _hasPrevious;

    internal StepStatistics(ComputeDevice device, long storeCount, StepStatisticsOptions options)
    {
        Options = options;
        _gradNorms = Tensor.Zeros(device, options.Capacity);
        if (!options.UpdateAlignment) return;
        _cosines = Tensor.Zeros(device, options.Capacity);
        _alignment = Tensor.Zeros(device, 3);
        _alignmentResults = Enumerable.Range(0, 3).Select(k => DeviceMath.Item(_alignment, k)).ToArray();
        _applied = [Tensor.Zeros(device, AppliedUpdateStorage, checked((int)storeCount)), Tensor.Zeros(device, AppliedUpdateStorage, checked((int)storeCount))];
    }

    public StepStatisticsOptions Options { get; }

    /// <summary>Steps recorded and not read yet; past <see cref="StepStatisticsOptions.Capacity"/> the oldest are dropped.</summary>
    public int Unread => _unread.Count;

    /// <summary>The buffer the step being taken writes its applied update u_t to (the other holds u_{t−1}).</summary>
    internal Tensor AppliedUpdate => _applied.Length > 0 ? _applied[0] : throw new InvalidOperationException("update alignment is not recorded");

    /// <summary>Records step <paramref name="step"/> once its update is enqueued: ||g|| from <paramref name="gradNormSquared"/>, and the alignment.</summary>
    internal void Record(long step, Tensor gradNormSquared)
    {
        int slot = _next;
        _next = (_next + 1) % Options.Capacity;
        using var norm = _gradNorms.Slice(0, slot, 1);
        if (_cosines is null)
        {
            DeviceMath.Run(RecordNormOnly, [], [norm], [gradNormSquared]);
            _unread.Enqueue((step, slot, false));
        }
        else
        {
            var (current, previous) = (_applied[0], _applied[1]);
            if (current.Count > 0) DeviceMath.Run(AlignmentReductions, [], [], [current, previous], _alignment);
            using var cosine = _cosines.Slice(0, slot, 1);
            DeviceMath.Run(RecordWithCosine, [], [norm, cosine], [gradNormSquared, .. _alignmentResults]);
            _unread.Enqueue((step, slot, _hasPrevious));
            (_applied[0], _applied[1]) = (previous, current);
            _hasPrevious = true;
        }
        while (_unread.Count > Options.Capacity) _unread.Dequeue();
    }

    /// <summary>The records of the steps since the last read (at most <see cref="StepStatisticsOptions.Capacity"/>), oldest first; waits for the device.</summary>
    public IReadOnlyList<StepRecord> ReadNew()
    {
        if (_unread.Count == 0) return [];
        var norms = _gradNorms.ToArray();
        var cosines = _cosines?.ToArray();
        var records = _unread.Select(u => new StepRecord(u.Step, norms[u.Slot], u.HasCosine ? cosines![u.Slot] : null)).ToArray();
        _unread.Clear();
        return records;
    }

    /// <summary>u_{t−1}, the update the last step applied, for a checkpoint; null when none is recorded yet.</summary>
    internal float[]? ExportPreviousUpdate() => _hasPrevious ? _applied[1].ToArray() : null;

    /// <summary>Restores <see cref="ExportPreviousUpdate"/>'s values (null: the next step has no previous update to compare with).</summary>
    internal void ImportPreviousUpdate(float[]? values)
    {
        // The records not read yet belong to the steps the imported state replaces.
        _unread.Clear();
        if (_applied.Length == 0) return;
        if (values is not null && values.Length != _applied[1].Count)
            throw new ArgumentException($"the previous update holds {values.Length} values, the parameter store {_applied[1].Count}");
        _hasPrevious = values is not null;
        if (values is { Length: > 0 }) DeviceMath.Write(_applied[1], values);
    }

    private static FusedProgram BuildAlignmentReductions()
    {
        var f = new FusionBuilder("optim_update_alignment");
        var current = f.Input("u", AppliedUpdateStorage);
        var previous = f.Input("u_prev", AppliedUpdateStorage);
        f.Reduction("dot", Fx.Sum(current * previous));
        f.Reduction("u_sq", Fx.SumSquares(current));
        f.Reduction("u_prev_sq", Fx.SumSquares(previous));
        return f.Build();
    }

    /// <summary>||g|| = sqrt(||g||²) and, with <paramref name="cosine"/>, METHODS §0's cos(a, b) = ⟨a, b⟩ / (||a|| ||b|| + 1e-12).</summary>
    private static FusedProgram BuildRecord(bool cosine)
    {
        var f = new FusionBuilder(cosine ? "optim_record_step" : "optim_record_grad_norm");
        f.Output("grad_norm", Fx.Sqrt(f.Input("grad_norm_sq")));
        if (cosine)
        {
            var dot = f.Input("dot");
            var a = f.Input("u_sq");
            var b = f.Input("u_prev_sq");
            f.Output("cos", dot / (Fx.Sqrt(a) * Fx.Sqrt(b) + 1e-12f));
        }
        return f.Build();
    }

    public void Dispose()
    {
        _gradNorms.Dispose();
        _cosines?.Dispose();
        foreach (var view in _alignmentResults) view.Dispose();
        _alignment?.Dispose();
        foreach (var buffer in _applied) buffer.Dispose();
    }
}
