using Engine.Kernels.Fusion;

namespace Engine.Kernels.Devices;

/// <summary>
/// One device of one backend. Owns the device's memory and runs the op kernels.
/// Every kernel works on buffers of 4-byte elements; offsets and sizes are in elements.
/// Contiguity: unless a parameter is a <see cref="StridedSlice"/>, operands are dense row-major.
/// All launches are ordered (in-order queue on GPU backends); <see cref="Read"/> waits for them.
/// </summary>
public abstract class ComputeDevice : IDisposable
{
    public abstract DeviceKind Kind { get; }

    /// <summary>Short identifier as the CLI spells it: "cpu", "opencl:0", "cuda:1".</summary>
    public abstract string Id { get; }

    /// <summary>Human-readable name (vendor model string for GPU backends).</summary>
    public abstract string Name { get; }

    /// <summary>Bytes of memory the device reports (host RAM for cpu).</summary>
    public abstract long MemoryBytes { get; }

    /// <summary>Allocates a zero-filled buffer of <paramref name="length"/> 4-byte elements.</summary>
    public abstract DeviceBuffer Allocate(long length);

    /// <summary>
    /// Allocates a buffer whose contents are undefined, for an output that the next kernel writes in full: it saves
    /// the zero fill (on the cpu a memset of every temporary of a training step). Under <see cref="PoisonUninitialized"/>
    /// it holds NaN instead, so a kernel that leaves an element unwritten shows in results.
    /// </summary>
    public abstract DeviceBuffer AllocateUninitialized(long length);

    /// <summary>Fill <see cref="AllocateUninitialized"/> buffers with NaN (the tests turn this on).</summary>
    internal static bool PoisonUninitialized { get; set; }

    /// <summary>What a new buffer from <see cref="AllocateUninitialized"/> holds: nothing written, or NaN when poisoned.</summary>
    /// <remarks>The poison is NaN both as an fp32 and as each of the two bfloat16 halves of a 4-byte unit (0x7FC07FC0).</remarks>
    private protected static float? UninitializedFill => PoisonUninitialized ? BitConverter.UInt32BitsToSingle(0x7FC0_7FC0) : null;

    /// <summary>Live and peak bytes of this device's buffers: a leak shows as live bytes that grow step after step.</summary>
    public DeviceMemoryInfo GetMemoryInfo() => Memory.Read(PooledBytes);

    /// <summary>Starts a new peak: <see cref="DeviceMemoryInfo.PeakBytes"/> becomes the live bytes of now.</summary>
    public void ResetPeakMemory() => Memory.ResetPeak();

    /// <summary>Counted by every <see cref="DeviceBuffer"/> of this device as it is created and disposed.</summary>
    internal MemoryCounter Memory { get; } = new();

    /// <summary>Memory the backend keeps from disposed buffers for reuse.</summary>
    protected virtual long PooledBytes => 0;

    public abstract void Write<T>(BufferSlice dst, ReadOnlySpan<T> src) where T : unmanaged;
    public abstract void Read<T>(BufferSlice src, Span<T> dst) where T : unmanaged;

    /// <summary>Waits until every launched kernel has finished.</summary>
    public abstract void Synchronize();

    // ---- data movement -------------------------------------------------------------------

    /// <summary>dst[i...] = src[i...] for two strided views of equal shape (rank 0..8).</summary>
    public abstract void Copy(StridedSlice src, StridedSlice dst);

    /// <summary>dst[i] = value for i in [0, count). Int32 buffers take the bit pattern of (int)value.</summary>
    public abstract void Fill(BufferSlice dst, long count, float value, DType dtype = DType.Float32);

    /// <summary>dst[i] = start + i * step (fp32).</summary>
    public abstract void Arange(BufferSlice dst, long count, float start, float step);

    /// <summary>
    /// Counter-based (Philox4x32-10) random numbers: element i depends only on (seed, i), so every
    /// backend produces the same values. Uniform: a + (b - a) * u, u in [0,1). Normal: mean a, std b (Box-Muller).
    /// </summary>
    public abstract void FillRandom(BufferSlice dst, long count, ulong seed, RandomDistribution distribution, float a, float b);

    // ---- compute -------------------------------------------------------------------------

    /// <summary>Runs a compiled elementwise/reduction expression. See <see cref="FusedLaunch"/>.</summary>
    public abstract void RunFused(FusedProgram program, FusedLaunch launch);

    public abstract void Gemm(GemmSpec spec, BufferSlice a, BufferSlice b, BufferSlice c);

    /// <summary>
    /// G ← λ_l·G + δ·G_glob in place for a batch of matrices and their bases (see <see cref="LowRankAdjustSpec"/>),
    /// writing the coefficients of each G in its basis to <paramref name="coefficients"/>, and to <paramref name="sumOfSquares"/>
    /// two floats: ||G_glob||² (the coefficients' sum of squares) and ||G||² of the matrices as they were, each summed over
    /// the batch. The portable version is a batched GEMM, one fused pass that forms G_glob per element from the two factors
    /// (reducing ||G||² on the way), and a reduction; a backend may fuse more.
    /// </summary>
    public virtual void LowRankAdjust(LowRankAdjustSpec spec, BufferSlice grads, BufferSlice basis, BufferSlice coefficients,
                                      BufferSlice sumOfSquares) =>
        LowRankAdjustPortable.Run(this, spec, grads, basis, coefficients, sumOfSquares);

    /// <summary>
    /// output_b = S_b X_b for each pair of <paramref name="spec"/>: row r of the output is Σ values[p] · X_b[columns[p], :]
    /// over the row's entries, p from starts[r] to starts[r + 1], summed in that order (the same result on every run).
    /// Entries must lie within the room and columns within [0, Inner): the cpu backend checks them and throws; a GPU
    /// backend, which cannot without waiting for the device, skips what lies outside. The output must not overlap an input.
    /// </summary>
    public abstract void SparseMatMul(SparseMatMulSpec spec, BufferSlice starts, BufferSlice columns, BufferSlice values,
                                      BufferSlice input, BufferSlice output);

    /// <summary>Whether <see cref="CausalAttention"/> and its backward run here for heads of <paramref name="headSize"/>.</summary>
    public virtual bool SupportsCausalAttention(int headSize) => false;

    /// <summary>
    /// Causal softmax attention in one pass per (batch, head): y = softmax(scale·q·kᵀ + causal mask)·v, heads side by
    /// side in y's rows; the probabilities are kept for the backward pass (zero above the diagonal), unless
    /// <paramref name="probabilities"/> is <c>default</c> (inference). Where <see cref="SupportsCausalAttention"/> is
    /// false, callers compose it from GEMMs and a softmax.
    /// </summary>
    public virtual void CausalAttention(in AttentionSpec spec, BufferSlice q, BufferSlice k, BufferSlice v, BufferSlice y,
                                        BufferSlice probabilities) =>
        throw new NotSupportedException($"{Id}: no fused attention kernel; compose it from GEMMs and a softmax");

    /// <summary>
    /// The gradients of <see cref="CausalAttention"/> for the output gradient <paramref name="dy"/> (dense): dq, dk and dv,
    /// each dense [B, T, C] and fully written.
    /// </summary>
    public virtual void CausalAttentionBackward(in AttentionSpec spec, BufferSlice q, BufferSlice k, BufferSlice v,
                                                BufferSlice probabilities, BufferSlice dy, BufferSlice dq, BufferSlice dk,
                                                BufferSlice dv) =>
        throw new NotSupportedException($"{Id}: no fused attention kernel; compose it from GEMMs and a softmax");

    /// <summary>
    /// Reduces a dense [outer, axis, inner] tensor over the middle axis into dense [outer, inner].
    /// Sums accumulate in double (or fp32 partials combined in double). ArgMax writes Int32, first index on ties.
    /// </summary>
    public abstract void Reduce(ReduceOp op, BufferSlice src, BufferSlice dst, long outer, long axis, long inner);

    /// <summary>Softmax (or log-softmax) of each of <paramref name="rows"/> dense rows of <paramref name="cols"/>.</summary>
    public abstract void Softmax(BufferSlice src, BufferSlice dst, long rows, int cols, bool log);

    /// <summary>
    /// y = (x - mean) * rstd * gamma + beta per row; writes mean and rstd (one per row) for a backward pass.
    /// rstd = 1 / sqrt(var + eps), var the biased variance.
    /// </summary>
    public abstract void LayerNorm(BufferSlice x, BufferSlice gamma, BufferSlice beta, BufferSlice y,
                                   BufferSlice mean, BufferSlice rstd, long rows, int cols, float eps);

    /// <summary>dst[i, :] = table[indices[i], :] for i in [0, count); indices are Int32 and must lie in [0, rows).</summary>
    public abstract void Gather(BufferSlice table, BufferSlice indices, BufferSlice dst, long count, int dim);

    /// <summary>table[indices[i], :] += src[i, :], deterministic (same order on every run).</summary>
    public abstract void ScatterAdd(BufferSlice src, BufferSlice indices, BufferSlice table, long count, int dim);

    /// <summary>
    /// losses[r] = logsumexp(logits[r, :]) - logits[r, targets[r]] for each of <paramref name="rows"/> rows;
    /// targets are Int32 in [0, cols).
    /// </summary>
    public abstract void CrossEntropy(BufferSlice logits, BufferSlice targets, BufferSlice losses, long rows, int cols);

    public abstract void Dispose();

    public override string ToString() => $"{Id} ({Name})";
}
