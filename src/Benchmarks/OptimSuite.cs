using Engine.Kernels.Devices;
using Engine.Kernels.Profiling;
using Engine.Optim;
using Engine.Optim.Structured;

namespace Engine.Benchmarks;

/// <summary>
/// Optimizer steps on N fp32 parameters (by default 10M on the cpu, 1M elsewhere: PoCL's per-matrix methods are
/// launch-bound), every parameter a hidden matrix: one [100, N/100] matrix and 100 [100, N/10000] matrices (wide, so
/// Muon's and SPEC-GF's dense work stays O(100²·n) per matrix and CGFM's refresh O(100²·n) on the host). Records are named
/// "optim_step", with the chain and layout in <c>shape</c>: ms per step fused and transform by transform, the overhead over fused AdamW (%: the chain's steps
/// alternate with fused AdamW steps, each compared with the AdamW steps either side of it, median of the ratios), the
/// bytes per parameter counted below and the GB/s they give, and for SPEC-GF and Muon the GFLOP/s of phases R + S.
/// <para>Bytes per parameter (fp32, each elementwise pass and each GEMM's m×n operand read or written once):</para>
/// <list type="bullet">
/// <item>adamw (+clip): R 4, U 28 → 32; adamw_noclip: U 28; sgd_momentum: 20;</item>
/// <item>cgfm: no phase R (the low-rank adjust gives ||g||²), the adjust reads G and writes G_adj in place 8 (cpu: strip by
///   strip, coefficients in registers, G_glob never stored), U 28 → 36; elsewhere the adjust's GEMM reads G once more → 40;</item>
/// <item>sgg: R (g, g_s, m) 12, U (p, g, m, v → p, m, v) 28 → 40 in a step without a conflict (b = 0: the gate skips g_s);
///   sgg_conflict: U reads g_s too, 32 → 44; with g_s in bfloat16 (sgg_bf16, sgg_conflict_bf16) R 10, U 28 or 30 → 38, 40;</item>
/// <item>spectral-chebK: R 4, L·W 8, penalty 12, F·X 8 (F the m×m filter matrix the rebuild forms from the Chebyshev
///   polynomial), copy 8, U 28 → 68;</item>
/// <item>muon where n ≥ 2m (Newton–Schulz in its Gram form, two stretches): R 4, momentum 16, normalize 8,
///   2 × (G = X·Xᵀ 4, Q·X 8), scaled copy 8, U 12 → 72; the direct form (100 × [100, 100] at 1M parameters): 48 + 24 per step.</item>
/// </list>
/// Phase-S FLOPs: spectral 2m²n + 2(2k + 1)mn per matrix (F·X, and the penalty's L·W over the sparse Laplacian's room
/// of m(2k + 1) entries, k the graph's neighbours); muon 8m²n + 5·8m³ in the Gram form (n ≥ 2m), else 5(4m²n + 2m³), m
/// the smaller side.
/// <para>The timed steps fall between the host refreshes (CGFM's basis every T_p = 100 steps, SPEC-GF's graph every T_g = 200):
/// "CHAIN_refresh_step" times a step that refreshes, and "CHAIN_amortized_every_T" the overhead with it spread over T steps
/// (for CGFM also with the randomized basis: "cgfm_randomized_refresh_step", "cgfm_randomized_amortized_every_100").</para>
/// </summary>
public static class OptimSuite
{
    /// <summary>The parameter count a device is measured with unless told otherwise.</summary>
    public static int DefaultParameters(ComputeDevice device) => device.Kind == DeviceKind.Cpu ? 10_000_000 : 1_000_000;

    /// <summary>Parameter counts must split into 100 matrices of 100 rows.</summary>
    public const int ParameterStep = 10_000;

    /// <summary>Whether the suite can lay <paramref name="count"/> parameters out as its two layouts.</summary>
    public static bool Fits(int count) => count >= ParameterStep && count % ParameterStep == 0;
    private const int ChebyshevOrder = 8, NewtonSchulzSteps = 5;

    /// <summary>Muon's bytes per parameter with the direct Newton–Schulz (see the summary); 72 in its Gram form.</summary>
    private const int MuonDirectBytes = 48 + 24 * NewtonSchulzSteps;

    /// <param name="PortableBytesPerParam">Bytes where the backend has no fused op of its own (CGFM's LowRankAdjust off the cpu).</param>
    /// <param name="SourceConflicts">For a chain guided by a source gradient: whether ⟨g, g_s⟩ &lt; 0 in the measured steps.</param>
    /// <param name="Refreshing">
    /// For a chain with periodic host work (CGFM's basis every T_p steps, SPEC-GF's graph every T_g): variants of the chain
    /// doing it every step (a name prefix for the records, "" or e.g. "randomized_"; the optimizer; the default period). The measured steps fall between refreshes; these
    /// price the refresh itself.
    /// </param>
    /// <param name="ShapeBytesPerParam">Bytes per parameter that depend on the layout's matrix shape (rows, cols), overriding the others.</param>
    private sealed record ChainSpec(string Name, Func<ParameterStore, Optimizer> Create, int BytesPerParam, Func<int, int, double>? PhaseFlops,
                                    int? PortableBytesPerParam = null, bool SourceConflicts = false, Func<int, int, int>? ShapeBytesPerParam = null,
                                    (string Variant, Func<ParameterStore, Optimizer> Create, int Period)[]? Refreshing = null);

    private static readonly SggOptions BFloat16Source = new() { SourcePrecision = DType.BFloat16 };

    private static SpectralOptions Chebyshev() => new() { Mode = SpectralFilterMode.Chebyshev, ChebyshevOrder = ChebyshevOrder };

    private static readonly ChainSpec[] Chains =
    [
        new("adamw", s => new Optimizer(s, Optimizers.AdamW(3e-4, weightDecay: 0.1, clip: 1.0)), 32, null),
        // Plain fused AdamW, one pass (the issue's 28 B/param figure and PyTorch's comparison); the baseline keeps the clip
        // because every structured chain below clips too.
        new("adamw_noclip", s => new Optimizer(s, Optimizers.AdamW(3e-4, weightDecay: 0.1)), 28, null),
        new("sgd_momentum", s => new Optimizer(s, Optimizers.Sgd(0.1, momentum: 0.9)), 20, null),
        new("cgfm", s => new Optimizer(s, Optimizers.Cgfm(3e-4, weightDecay: 0.1, clip: 1.0)), 36, null, 40,
            Refreshing:
            [
                ("", s => new Optimizer(s, Optimizers.Cgfm(3e-4, new CgfmOptions { ProjectionPeriod = 1 }, weightDecay: 0.1, clip: 1.0)),
                 new CgfmOptions().ProjectionPeriod),
                ("randomized_", s => new Optimizer(s, Optimizers.Cgfm(3e-4,
                    new CgfmOptions { ProjectionPeriod = 1, Basis = CgfmBasisMethod.Randomized }, weightDecay: 0.1, clip: 1.0)),
                 new CgfmOptions().ProjectionPeriod),
            ]),
        // SGG's U phase reads g_s only in a step with a conflict (b ≠ 0), so both kinds of step are measured.
        new("sgg", s => new Optimizer(s, Optimizers.Sgg(3e-4, weightDecay: 0.1, clip: 1.0)), 40, null),
        new("sgg_conflict", s => new Optimizer(s, Optimizers.Sgg(3e-4, weightDecay: 0.1, clip: 1.0)), 44, null, SourceConflicts: true),
        // The same two steps with g_s kept in bfloat16 (SggOptions.SourcePrecision): 2 B/param less where g_s is read.
        new("sgg_bf16", s => new Optimizer(s, Optimizers.Sgg(3e-4, BFloat16Source, weightDecay: 0.1, clip: 1.0)), 38, null),
        new("sgg_conflict_bf16", s => new Optimizer(s, Optimizers.Sgg(3e-4, BFloat16Source, weightDecay: 0.1, clip: 1.0)), 40, null,
            SourceConflicts: true),
        new($"spectral_cheb{ChebyshevOrder}", s => new Optimizer(s, Optimizers.Spectral(3e-4, Chebyshev(), weightDecay: 0.1, clip: 1.0)),
            68, (m, n) => 2.0 * m * (double)m * n + 2.0 * (2 * Math.Min(Chebyshev().Neighbors, m - 1) + 1) * m * (double)n,
            Refreshing:
            [
                ("", s => new Optimizer(s, Optimizers.Spectral(3e-4, Chebyshev() with { RebuildPeriod = 1 }, weightDecay: 0.1, clip: 1.0)),
                 Chebyshev().RebuildPeriod),
            ]),
        // METHODS §3b's placement variant: the fused update splits around phase S (AdamW's direction through the update
        // buffer, +8 B/param); its phase S runs inside the step, so it has no separate phase-R+S timing.
        new($"spectral_cheb{ChebyshevOrder}_update", s => new Optimizer(s, Optimizers.OnUpdate(new SpectralTransform(Chebyshev()),
                                                                        Optimizers.AdamW(3e-4, weightDecay: 0.1, clip: 1.0))), 76, null),
        // METHODS §3(c)'s control for SPEC-GF's regularizer, as --l2-to-init runs it: AdamW + λ||W − W_start||² on the hidden
        // matrices, one chain (+8 B/param).
        new("adamw_l2init", s => new Optimizer(s, Optimizers.Over(new AddL2ToInit(1e-3, hiddenOnly: true),
                                                                  Optimizers.AdamW(3e-4, weightDecay: 0.1, clip: 1.0))), 40, null),
        // What `engine train` adds to every step for METHODS §0's metrics: ||g|| into the ring, and for DA the applied update
        // written by the fused pass (in bfloat16) and reduced against the previous one (+6 B/param).
        new("adamw_statistics", s => new Optimizer(s, Optimizers.AdamW(3e-4, weightDecay: 0.1, clip: 1.0), statistics: new StepStatisticsOptions(64)),
            38, null),
        new("muon", s => new Optimizer(s, Optimizers.Muon(0.02, new MuonOptions { NewtonSchulzSteps = NewtonSchulzSteps }, 0.1, clip: 1.0),
                                       Optimizers.AdamW(3e-4, weightDecay: 0.1, clip: 1.0)),
            MuonDirectBytes, (m, n) =>
            {
                double a = Math.Min(m, n), b = Math.Max(m, n);
                return b >= 2 * a
                    ? 8 * a * a * b + NewtonSchulzSteps * 8 * a * a * a
                    : NewtonSchulzSteps * (4 * a * a * b + 2 * a * a * a);
            },
            ShapeBytesPerParam: (m, n) => Math.Max(m, n) >= 2 * Math.Min(m, n) ? 72 : MuonDirectBytes),
    ];

    /// <param name="parameters">A positive multiple of <see cref="ParameterStep"/>; null: <see cref="DefaultParameters"/>.</param>
    public static IEnumerable<BenchRecord> Run(ComputeDevice device, bool quick, int? parameters = null)
    {
        int count = parameters ?? DefaultParameters(device);
        if (!Fits(count))
            throw new ArgumentException(
                $"the optimizer-step suite needs a positive multiple of {ParameterStep:N0} parameters (100 matrices of 100 rows), got {count:N0}",
                nameof(parameters));
        return RunChecked(device, quick, count);
    }

    private static IEnumerable<BenchRecord> RunChecked(ComputeDevice device, bool quick, int count)
    {
        int reps = quick ? 5 : 15, pairs = quick ? 21 : 41;
        foreach (var (layout, shapes) in Layouts(count))
        {
            using var store = new ParameterStore(device);
            for (int k = 0; k < shapes.Length; k++) store.Register($"w{k}", shapes[k], kind: ParameterKind.HiddenMatrix);
            store.Allocate();
            device.FillRandom(new BufferSlice(store.Values.Buffer, 0), store.Count, 1, RandomDistribution.Normal, 0, 0.02f);
            // The VM's speed drifts by up to 2x within a minute: each chain's steps alternate with fused AdamW steps, and its
            // overhead is the median ratio to the AdamW steps either side, not a ratio of two figures taken at different times.
            using var adamw = Chains[0].Create(store);
            foreach (var chain in Chains)
            {
                // The adamw row runs a second AdamW optimizer against the first: the noise the pairing leaves.
                using var current = chain.Create(store);
                void FreshGradients()
                {
                    float mean = 0;
                    if (current.UsesSourceGradient)
                    {
                        // Means of ±1 std set the sign of <g, g_s> (cos ±0.5, ≈ 58 std of its noise at 10k parameters).
                        mean = 1e-3f;
                        device.FillRandom(new BufferSlice(store.Grads.Buffer, 0), store.Count, 3, RandomDistribution.Normal,
                                          chain.SourceConflicts ? -mean : mean, 1e-3f);
                        current.CaptureSourceGradient();
                    }
                    device.FillRandom(new BufferSlice(store.Grads.Buffer, 0), store.Count, 2, RandomDistribution.Normal, mean, 1e-3f);
                }
                FreshGradients();
                current.Step();   // CGFM's basis and SPEC-GF's graphs are built here (host work every T_p, T_g steps), not timed
                if (current.UsesSourceGradient && current.ReadMethodMetrics()["sgg.cos_g_gs"] < 0 != chain.SourceConflicts)
                    throw new InvalidOperationException($"{chain.Name}: the gradients were meant to {(chain.SourceConflicts ? "" : "not ")}conflict");
                string shape = $"{chain.Name} {layout}";
                var (_, fused, ratio) = Timing.Paired(adamw.Step, current.Step, device.Synchronize, warmup: 1, pairs: pairs);
                yield return new BenchRecord("optim_step", device.Id, shape, fused * 1e3, "ms");
                int bytes = chain.ShapeBytesPerParam?.Invoke(shapes[0][0], shapes[0][1])
                            ?? (device.Kind == DeviceKind.Cpu ? chain.BytesPerParam : chain.PortableBytesPerParam ?? chain.BytesPerParam);
                yield return new BenchRecord("optim_step", device.Id, shape, bytes, "B/param");
                yield return new BenchRecord("optim_step", device.Id, shape, (double)bytes * store.Count / fused / 1e9, "GB/s");
                yield return new BenchRecord("optim_step", device.Id, shape, 100 * (ratio - 1), "% over fused adamw");
                double staged = Timing.MedianSeconds(current.StepTransformByTransform, device.Synchronize, warmup: 1, reps: reps);
                string stagedShape = $"{chain.Name}_transform_by_transform {layout}";
                yield return new BenchRecord("optim_step", device.Id, stagedShape, staged * 1e3, "ms");
                double stagedBytes = BytesMoved(current.StepTransformByTransform, device);
                yield return new BenchRecord("optim_step", device.Id, stagedShape, stagedBytes / store.Count, "B/param");
                yield return new BenchRecord("optim_step", device.Id, stagedShape, stagedBytes / staged / 1e9, "GB/s");
                foreach (var (variant, create, period) in chain.Refreshing ?? [])
                {
                    // A step that also refreshes, and what the refresh adds to the average step at the default period.
                    using var every = create(store);
                    double refreshStep = Timing.MedianSeconds(every.Step, device.Synchronize, warmup: 1, reps: Math.Min(reps, 5));
                    yield return new BenchRecord("optim_step", device.Id, $"{chain.Name}_{variant}refresh_step {layout}", refreshStep * 1e3, "ms");
                    yield return new BenchRecord("optim_step", device.Id, $"{chain.Name}_{variant}amortized_every_{period} {layout}",
                        100 * (ratio * (1 + (refreshStep - fused) / period / fused) - 1), "% over fused adamw");
                }
                if (chain.PhaseFlops is not { } flops) continue;
                FreshGradients();
                double phases = Timing.MedianSeconds(current.RunReduceAndStructuredPhases, device.Synchronize, warmup: 1, reps: reps);
                double total = shapes.Sum(s => flops(s[0], s[1]));
                yield return new BenchRecord("optim_step", device.Id, $"{chain.Name}_phase_rs {layout}", phases * 1e3, "ms");
                yield return new BenchRecord("optim_step", device.Id, $"{chain.Name}_phase_rs {layout}", total / phases / 1e9, "GFLOP/s");
            }
        }
    }

    private static IEnumerable<(string Layout, int[][] Shapes)> Layouts(int n)
    {
        yield return ($"1x[100,{n / 100}]", [[100, n / 100]]);
        yield return ($"100x[100,{n / 10_000}]", Enumerable.Range(0, 100).Select(_ => new[] { 100, n / 10_000 }).ToArray());
    }

    /// <summary>
    /// The bytes one call of <paramref name="step"/> moves, as the kernel profiler counts them (each kernel's operands read
    /// and written): the transform-by-transform step has no hand count, its passes depend on the chain.
    /// </summary>
    private static double BytesMoved(Action step, ComputeDevice device)
    {
        if (KernelProfiler.Enabled) throw new InvalidOperationException("the optimizer bench counts bytes with the kernel profiler: run it unprofiled");
        KernelProfiler.Reset();
        KernelProfiler.Enable();
        try
        {
            step();
            device.Synchronize();
        }
        finally
        {
            KernelProfiler.Disable();
        }
        double bytes = KernelProfiler.Records.Sum(r => (double)r.Work.Bytes);
        KernelProfiler.Reset();
        return bytes;
    }
}
