using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Engine.Kernels.Devices;
using Engine.Kernels.Profiling;

namespace Engine.Kernels.Cpu;

/// <summary>
/// Causal attention one (batch, head) at a time: that head's scores, probabilities and products stay in L1/L2 while
/// q, k, v are read in place from the projection's rows and y is written straight into its heads-side-by-side rows. The
/// composed version (split copies, a scale, two batched GEMMs, a mask add, a softmax, a merge copy, and as many passes
/// again backward) moved each [B, H, T, T] or [B, T, C] intermediate through memory. Only the causal half is computed.
/// Each (batch, head) is one task with a fixed order of operations, so results do not depend on the thread count.
/// </summary>
public sealed unsafe partial class CpuDevice
{
    /// <summary>Rows of one head handled together: each vector of k, v or q loaded feeds that many rows.</summary>
    private const int RowBlock = 4;

    public override bool SupportsCausalAttention(int headSize) =>
        Vector512.IsHardwareAccelerated && headSize > 0 && headSize % AttentionRows.Width == 0;

    public override void CausalAttention(in AttentionSpec spec, BufferSlice q, BufferSlice k, BufferSlice v, BufferSlice y,
                                         BufferSlice probabilities)
    {
        long started = KernelProfiler.StartHost();
        var s = CheckAttention(spec);
        float* qs = Elements(q, s.Q.Span(s), nameof(q)), ks = Elements(k, s.K.Span(s), nameof(k)), vs = Elements(v, s.V.Span(s), nameof(v));
        float* ys = Elements(y, s.ActivationElements, nameof(y));
        float* ps = probabilities.Buffer is null ? null : Elements(probabilities, s.ProbabilityElements, nameof(probabilities));
        int t = s.Length, hs = s.HeadSize, tp = AttentionRows.Padded(t);
        CpuParallel.For((long)s.Batch * s.Heads, 1, (begin, end) =>
        {
            // kᵀ of one head (zero columns past T, so whole-vector reads of a score row stay defined), and the scores and
            // probabilities of a block of rows.
            float* scratch = (float*)NativeMemory.AlignedAlloc((nuint)(((long)hs * tp + 2L * RowBlock * tp) * sizeof(float)), 64);
            try
            {
                float* keysT = scratch, scores = scratch + (long)hs * tp, rows = scores + RowBlock * tp;
                for (long task = begin; task < end; task++)
                {
                    int b = (int)(task / s.Heads), h = (int)(task % s.Heads);
                    float* qh = qs + b * s.Q.BatchStride + h * hs, kh = ks + b * s.K.BatchStride + h * hs;
                    float* vh = vs + b * s.V.BatchStride + h * hs, yh = ys + b * s.Dense.BatchStride + h * hs;
                    float* ph = ps == null ? null : ps + task * t * t;
                    Transpose(kh, s.K.RowStride, t, hs, keysT, tp);
                    for (int i0 = 0; i0 < t; i0 += RowBlock)
                    {
                        // Rows i0.. of this block see keys 0..i0+count-1 at most; a row's later entries are zero in P.
                        int count = Math.Min(RowBlock, t - i0), reach = i0 + count;
                        Product(qh + i0 * s.Q.RowStride, s.Q.RowStride, count, hs, keysT, tp, reach, scores, tp);
                        for (int r = 0; r < count; r++)
                        {
                            int n = i0 + r + 1, padded = AttentionRows.Padded(n);
                            float* row = rows + r * tp;
                            AttentionRows.Softmax(scores + r * tp, n, padded, s.Scale, row);
                            new Span<float>(row + padded, tp - padded).Clear();
                            if (ph != null) new ReadOnlySpan<float>(row, t).CopyTo(new Span<float>(ph + (long)(i0 + r) * t, t));
                        }
                        Product(rows, tp, count, reach, vh, s.V.RowStride, hs, yh + (long)i0 * s.Width, s.Width);
                    }
                }
            }
            finally { NativeMemory.AlignedFree(scratch); }
        });
        if (started != 0)
            KernelProfiler.RecordHost(started, "attention", Id,
                new KernelWork(4L * (4 * s.ActivationElements + (ps == null ? 0 : s.ProbabilityElements)), 2.0 * s.ProbabilityElements * hs));
    }

    public override void CausalAttentionBackward(in AttentionSpec spec, BufferSlice q, BufferSlice k, BufferSlice v,
                                                 BufferSlice probabilities, BufferSlice dy, BufferSlice dq, BufferSlice dk,
                                                 BufferSlice dv)
    {
        long started = KernelProfiler.StartHost();
        var s = CheckAttention(spec);
        float* qs = Elements(q, s.Q.Span(s), nameof(q)), ks = Elements(k, s.K.Span(s), nameof(k)), vs = Elements(v, s.V.Span(s), nameof(v));
        float* ps = Elements(probabilities, s.ProbabilityElements, nameof(probabilities));
        long dense = s.ActivationElements;
        float* dys = Elements(dy, dense, nameof(dy)), dqs = Elements(dq, dense, nameof(dq));
        float* dks = Elements(dk, dense, nameof(dk)), dvs = Elements(dv, dense, nameof(dv));
        int t = s.Length, hs = s.HeadSize, tp = AttentionRows.Padded(t);
        long width = s.Width, batchStride = s.Dense.BatchStride;
        CpuParallel.For((long)s.Batch * s.Heads, 1, (begin, end) =>
        {
            // vᵀ [hs, tp]; dS, its transpose and Pᵀ [t, tp]; a block's P and dP rows [RowBlock, tp]: zero past T where read whole.
            long size = (long)hs * tp + 3L * t * tp + 2L * RowBlock * tp;
            float* scratch = (float*)NativeMemory.AlignedAlloc((nuint)(size * sizeof(float)), 64);
            try
            {
                float* valuesT = scratch, dScores = valuesT + (long)hs * tp, dScoresT = dScores + (long)t * tp;
                float* probsT = dScoresT + (long)t * tp, pRows = probsT + (long)t * tp, dProbs = pRows + RowBlock * tp;
                for (int r = 0; r < RowBlock; r++) new Span<float>(pRows + r * tp + t, tp - t).Clear();
                for (long task = begin; task < end; task++)
                {
                    int b = (int)(task / s.Heads), h = (int)(task % s.Heads);
                    float* qh = qs + b * s.Q.BatchStride + h * hs, kh = ks + b * s.K.BatchStride + h * hs;
                    float* vh = vs + b * s.V.BatchStride + h * hs, ph = ps + task * t * t;
                    long offset = b * batchStride + h * hs;
                    float* dyh = dys + offset, dqh = dqs + offset, dkh = dks + offset, dvh = dvs + offset;
                    Transpose(vh, s.V.RowStride, t, hs, valuesT, tp);
                    for (int i0 = 0; i0 < t; i0 += RowBlock)
                    {
                        // dP = dy·vᵀ, dS = P ⊙ (dP − Σ_j P dP), dq = scale · dS·k (the causal part only).
                        int count = Math.Min(RowBlock, t - i0), reach = i0 + count, padded = AttentionRows.Padded(reach);
                        Product(dyh + i0 * width, width, count, hs, valuesT, tp, reach, dProbs, tp);
                        for (int r = 0; r < count; r++)
                        {
                            float* pRow = pRows + r * tp, dS = dScores + (long)(i0 + r) * tp;
                            new ReadOnlySpan<float>(ph + (long)(i0 + r) * t, t).CopyTo(new Span<float>(pRow, t));
                            AttentionRows.SoftmaxGrad(pRow, dProbs + r * tp, padded, dS);
                            new Span<float>(dS + padded, tp - padded).Clear();
                        }
                        float* dqRows = dqh + i0 * width;
                        Product(dScores + (long)i0 * tp, tp, count, reach, kh, s.K.RowStride, hs, dqRows, width, s.Scale);
                    }
                    Transpose(dScores, tp, t, t, dScoresT, tp);
                    Transpose(ph, t, t, t, probsT, tp);
                    for (int j0 = 0; j0 < t; j0 += RowBlock)
                    {
                        // Columns j0.. of dS and of P are zero above row j0: dk = scale · dSᵀ·q, dv = Pᵀ·dy from row j0 down.
                        int count = Math.Min(RowBlock, t - j0), n = t - j0;
                        float* dkRows = dkh + j0 * width;
                        Product(dScoresT + (long)j0 * tp + j0, tp, count, n, qh + j0 * s.Q.RowStride, s.Q.RowStride, hs, dkRows, width, s.Scale);
                        Product(probsT + (long)j0 * tp + j0, tp, count, n, dyh + j0 * width, width, hs, dvh + j0 * width, width);
                    }
                }
            }
            finally { NativeMemory.AlignedFree(scratch); }
        });
        if (started != 0)
            KernelProfiler.RecordHost(started, "attention_backward", Id,
                new KernelWork(4L * (7 * dense + s.ProbabilityElements), 4.0 * s.ProbabilityElements * hs));
    }

    private AttentionSpec CheckAttention(in AttentionSpec spec)
    {
        if (spec.Batch < 0 || spec.Length < 0 || spec.Heads <= 0)
            throw new ArgumentOutOfRangeException(nameof(spec), $"attention: batch {spec.Batch}, length {spec.Length}, heads {spec.Heads}");
        if (!SupportsCausalAttention(spec.HeadSize))
            throw new NotSupportedException(
                $"attention: the cpu kernel needs AVX-512 and a head size that is a multiple of {AttentionRows.Width}, got {spec.HeadSize}");
        return spec;
    }

    /// <summary>
    /// result[r, c] = scale · Σ_k x[r·ldx + k]·m[k·ldm + c] for r &lt; rows and c up to <paramref name="columns"/> rounded up to
    /// whole vectors (the caller makes that many columns of m readable and each result row that long): a few rows against a
    /// matrix read in place, the few-rows GEMM's register tiles without its setup cost mattering (K and N are at most T).
    /// </summary>
    private static void Product(float* x, long ldx, int rows, int length, float* m, long ldm, int columns, float* result, long ldr,
                                float scale = 1f) =>
        GemmFewRows.Run(new GemmProblem(x, ldx, false, m, ldm, false, result, ldr, rows, AttentionRows.Padded(columns), length, scale, 0f),
                        parallel: false);

    /// <summary>dst[c, r] = src[r·srcStride + c] for r &lt; rows, c &lt; cols; dst's rows are dstStride apart, zero from rows on.</summary>
    private static void Transpose(float* src, long srcStride, int rows, int cols, float* dst, int dstStride)
    {
        RegisterTranspose.Matrix(src, srcStride, rows, cols, dst, dstStride);
        for (int c = 0; c < cols; c++) new Span<float>(dst + (long)c * dstStride + rows, dstStride - rows).Clear();
    }
}
