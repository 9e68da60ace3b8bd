using Engine.Kernels.Devices;
using Engine.Kernels.Profiling;

namespace Engine.Kernels.Gpu;

public abstract partial class GpuDevice
{
    // Must match gemm.cl: work-groups of 16 x GEMM_TY threads, GEMM_TY = 2 * GEMM_W, blocks of 16 * GEMM_W square.
    private const int GemmThreadsX = 16, GemmPerThread = 4, GemmWidePerThread = 8;
    private const int GemmBlock = GemmThreadsX * GemmPerThread;

    /// <summary>
    /// Split-K slices are a multiple of this deep: of both variants' GEMM_BK (no partial tile before the last slice),
    /// and of 4, so the slices of an operand aligned for float4 loads stay aligned.
    /// </summary>
    private const int GemmBlockK = 16;

    /// <summary>
    /// The build options of gemm.cl's variants, indexed by <see cref="GemmVariant"/>: built once, since the string is
    /// part of the kernel cache's key.
    /// </summary>
    private static readonly string[] GemmDefines = Enumerable.Range(0, 16).Select(v =>
        $"-DGEMM_W={((v & 8) != 0 ? GemmWidePerThread : GemmPerThread)} -DGEMM_TRANS_A={(v >> 2) & 1} " +
        $"-DGEMM_TRANS_B={(v >> 1) & 1} -DGEMM_VEC={v & 1}").ToArray();

    private static int GemmVariant(bool wide, bool transA, bool transB, bool vector) =>
        (wide ? 8 : 0) | (transA ? 4 : 0) | (transB ? 2 : 0) | (vector ? 1 : 0);

    /// <summary>
    /// 128 x 128 blocks per compute unit below which a product runs on 64 x 64 blocks: with fewer, the last partial wave
    /// of big blocks idles most units. Measured on an H100 (132 units, TFLOP/s, 128 x 128 / 64 x 64): 288 blocks (2.2 a
    /// unit) 21.0 / 26.7, 384 (2.9) 27.9 / 27.6, 1,024 (7.8, a 4096³ product) 36.8–38.2 / 29.9. Those 64 x 64 figures
    /// are from before its threads held 8 x 4 accumulators (now 31–36 TFLOP/s on the mid-size products): the crossover
    /// may now lie higher, unmeasured.
    /// </summary>
    private const int WideBlocksPerUnit = 3;

    /// <summary>Depth below which a GEMM is never split: a slice must amortize its partial's write and reduction.</summary>
    private const int SplitMinDepth = 1024;

    public override void Gemm(GemmSpec spec, BufferSlice a, BufferSlice b, BufferSlice c)
    {
        var extent = GemmChecks.Validate(spec);
        CheckSlice(a, extent.A, nameof(a));
        CheckSlice(b, extent.B, nameof(b));
        CheckSlice(c, extent.C, nameof(c));
        if (spec.Batch == 0 || spec.M == 0 || spec.N == 0) return;
        if (MaxWorkGroupSize < GemmThreadsX * 2 * GemmWidePerThread)
            throw new NotSupportedException(
                $"gemm.cl runs work-groups of up to {GemmThreadsX}x{2 * GemmWidePerThread}; device '{Id}' allows only {MaxWorkGroupSize} work-items per group");
        if (FewRows(spec))
        {
            LaunchFewRows(spec, a, b, c);
            return;
        }
        if (SplitDepth(spec) is { } slice) GemmSplitK(spec, slice, a, b, c);
        else LaunchGemm(spec, a, b, c);
    }

    /// <summary>
    /// The depth of each slice when the GEMM should be split along K, or null. A product with few output blocks and a
    /// long K leaves most compute units idle or at low occupancy (Muon's X·Xᵀ of a [100, 100000] matrix: 4 blocks of
    /// 64 x 64 for 100,000 steps each; a weight gradient [384, 4096]·[4096, 1152]: 108 blocks, under one per
    /// multiprocessor); slices of K then run as a batch of partial products, and a reduction sums them (in double on
    /// devices with fp64). Split: under two blocks per compute unit; aim: eight (a few resident per unit), with slices at
    /// least a quarter of <see cref="SplitMinDepth"/> deep. Measured on an H100 (132 units, the small preset's shapes,
    /// TFLOP/s): its weight gradients, 108–144 blocks, 14.7–18.7 split four or five ways, 20.1–26.1 eight ways; its input
    /// gradients, 384 blocks, 23.6–24.7 split in two, 27.3–27.7 whole (a split's partials then cost more than it gains).
    /// </summary>
    private int? SplitDepth(GemmSpec spec)
    {
        long blocks = (long)((spec.M + GemmBlock - 1) / GemmBlock) * ((spec.N + GemmBlock - 1) / GemmBlock);
        if (spec.Batch != 1 || spec.K < SplitMinDepth || blocks >= 2L * ComputeUnits) return null;
        long target = 8L * ComputeUnits;
        long slices = Math.Min((target + blocks - 1) / blocks, spec.K / (SplitMinDepth / 4));
        if (slices < 2) return null;
        long depth = (spec.K + slices - 1) / slices;
        return (int)((depth + GemmBlockK - 1) / GemmBlockK * GemmBlockK);
    }

    /// <summary>
    /// C = Σ_s alpha·op(A)[:, slice s]·op(B)[slice s, :] (+ beta·C, carried by the first slice): the slices as up to three
    /// launches into dense scratch (the first, with beta over a copy of C; the other full slices as one batch, their
    /// operands one fixed stride apart; the shorter last), then one reduction over the slices into C (through a second
    /// scratch and a strided copy where C's rows are padded).
    /// </summary>
    private void GemmSplitK(GemmSpec spec, int depth, BufferSlice a, BufferSlice b, BufferSlice c)
    {
        int full = spec.K / depth, rest = spec.K - full * depth;
        int slices = full + (rest > 0 ? 1 : 0);
        long outputs = (long)spec.M * spec.N;
        // Element distance between consecutive K slices of the stored operands.
        long strideA = spec.TransA ? depth * spec.Lda : depth;
        long strideB = spec.TransB ? depth : depth * spec.Ldb;
        BufferSlice SliceA(int s) => new(a.Buffer, a.Offset + s * strideA);
        BufferSlice SliceB(int s) => new(b.Buffer, b.Offset + s * strideB);
        var dense = spec with { Ldc = spec.N, BatchStrideA = strideA, BatchStrideB = strideB, BatchStrideC = outputs };
        var cView = new StridedSlice(c.Buffer, c.Offset, [spec.M, spec.N], [spec.Ldc, 1]);
        lock (ScratchLock)
        {
            var partials = Scratch("gemm.split-k", slices * outputs);
            var denseC = new StridedSlice(partials, 0, [spec.M, spec.N], [spec.N, 1]);
            if (spec.Beta != 0) Copy(cView, denseC);
            LaunchGemm(dense with { Batch = 1, K = depth }, a, b, new BufferSlice(partials, 0));
            if (full > 1)
                LaunchGemm(dense with { Batch = full - 1, K = depth, Beta = 0 }, SliceA(1), SliceB(1), new BufferSlice(partials, outputs));
            if (rest > 0)
                LaunchGemm(dense with { Batch = 1, K = rest, Beta = 0 }, SliceA(full), SliceB(full), new BufferSlice(partials, full * outputs));
            if (spec.Ldc == spec.N)
            {
                Reduce(ReduceOp.Sum, new BufferSlice(partials, 0), c, 1, slices, outputs);
                return;
            }
            var sum = Scratch("gemm.split-k.sum", outputs);
            Reduce(ReduceOp.Sum, new BufferSlice(partials, 0), new BufferSlice(sum, 0), 1, slices, outputs);
            Copy(new StridedSlice(sum, 0, [spec.M, spec.N], [spec.N, 1]), cView);
        }
    }

    /// <summary>
    /// One launch of gemm.cl for a checked spec: 128 x 128 blocks of 8 x 8 accumulators per thread where C is at least
    /// that wide and tall and there are at least <see cref="WideBlocksPerUnit"/> such blocks per compute unit, else
    /// 64 x 64; the variant built for the spec's transposes, with float4 loads and stores where
    /// <see cref="GemmVectorizable"/>.
    /// </summary>
    private void LaunchGemm(GemmSpec spec, BufferSlice a, BufferSlice b, BufferSlice c)
    {
        int wide = GemmThreadsX * GemmWidePerThread;
        bool useWide = spec.M >= wide && spec.N >= wide
                       && (long)spec.Batch * ((spec.M + wide - 1) / wide) * ((spec.N + wide - 1) / wide) >= WideBlocksPerUnit * ComputeUnits;
        long block = useWide ? wide : GemmBlock;
        long threadsY = 2 * (useWide ? GemmWidePerThread : GemmPerThread);
        long groupsX = (spec.N + block - 1) / block, groupsY = (spec.M + block - 1) / block;
        var kernel = OpKernel("gemm.cl", "gemm",
            GemmDefines[GemmVariant(useWide, spec.TransA, spec.TransB, GemmVectorizable(spec, a, b, c))]);
        Launch(kernel,
            [groupsX * GemmThreadsX, groupsY * threadsY, spec.Batch], [GemmThreadsX, threadsY, 1],
            GemmArguments(spec, a, b, c), GemmWork(spec));
    }

    /// <summary>Rows of C up to which <see cref="FewRows"/> may take gemm_few_rows.cl (its FEW_ROWS).</summary>
    private const int FewRowsMax = 16;

    /// <summary>
    /// A product with at most 16 rows of C, B not transposed and columns enough for 16 work-items per compute unit (CGFM's
    /// coefficients PᵀG: 13 rows over 100,000 columns): one work-item per column reads B once, where 64 × 64 tiles would
    /// leave three quarters of their rows empty. A long K (split-K's <see cref="SplitMinDepth"/>) also needs a work-group of
    /// columns per compute unit: fewer columns walking all of K leave the device idle where slices of K would not.
    /// </summary>
    private bool FewRows(GemmSpec spec)
    {
        long columns = (long)spec.Batch * spec.N;
        return spec.M <= FewRowsMax && !spec.TransB && columns >= 16L * ComputeUnits
               && (spec.K < SplitMinDepth || columns >= (long)OpGroupSize * ComputeUnits);
    }

    private void LaunchFewRows(GemmSpec spec, BufferSlice a, BufferSlice b, BufferSlice c)
    {
        long group = OpGroupSize;
        var kernel = OpKernel("gemm_few_rows.cl", "gemm_few_rows", spec.TransA ? FewRowsTransposedA : "");
        Launch(kernel, [(spec.N + group - 1) / group * group, spec.Batch], [group, 1],
            GemmArguments(spec, a, b, c), GemmWork(spec));
    }

    private const string FewRowsTransposedA = "-DFEW_TRANS_A=1";

    /// <summary>The arguments of gemm.cl and gemm_few_rows.cl, which take the same ones.</summary>
    private KernelArg[] GemmArguments(GemmSpec spec, BufferSlice a, BufferSlice b, BufferSlice c) =>
        [KernelArg.Of(spec.M), KernelArg.Of(spec.N), KernelArg.Of(spec.K),
         Buf(a), Off(a), KernelArg.Of(spec.Lda), KernelArg.Of(spec.BatchStrideA),
         Buf(b), Off(b), KernelArg.Of(spec.Ldb), KernelArg.Of(spec.BatchStrideB),
         Buf(c), Off(c), KernelArg.Of(spec.Ldc), KernelArg.Of(spec.BatchStrideC),
         KernelArg.Of(spec.Alpha), KernelArg.Of(spec.Beta)];

    /// <summary>Profiler figures of a GEMM: each operand moved once (C twice with beta), 2·M·N·K flops per product.</summary>
    private static KernelWork GemmWork(GemmSpec spec) =>
        Traffic(spec.Batch * ((long)spec.M * spec.K + (long)spec.K * spec.N + (long)spec.M * spec.N * (spec.Beta == 0 ? 1 : 2)), spec.Flops);

    /// <summary>
    /// Whether every float4 that gemm.cl's GEMM_VEC variant reads or writes is 16-byte aligned (buffers themselves
    /// are) and lies wholly inside or wholly outside its matrix: each operand's offset, leading dimension and batch
    /// stride, and the extent of its contiguous dimension, are multiples of 4.
    /// </summary>
    private static bool GemmVectorizable(GemmSpec spec, BufferSlice a, BufferSlice b, BufferSlice c) =>
        MultiplesOf4(a.Offset, spec.Lda, spec.BatchStrideA, spec.TransA ? spec.M : spec.K,
                     b.Offset, spec.Ldb, spec.BatchStrideB, spec.TransB ? spec.K : spec.N,
                     c.Offset, spec.Ldc, spec.BatchStrideC, spec.N);

    private static bool MultiplesOf4(params ReadOnlySpan<long> values)
    {
        foreach (long v in values)
            if (v % 4 != 0) return false;
        return true;
    }
}
