using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;
using Engine.Tensors;

namespace Engine.Optim.Structured;

/// <summary>Hyperparameters of SGG form A (METHODS §2b), with the document's defaults.</summary>
public sealed record SggFormAOptions
{
    /// <summary>α, the weight of R_dir = 1 − cos(g, d).</summary>
    public double Alpha { get; init => field = Hyperparameter.NonNegative(value, nameof(Alpha)); } = 0.1;

    /// <summary>β, the weight of R_mag = ½ max(0, ||g||/τ − 1)².</summary>
    public double Beta { get; init => field = Hyperparameter.NonNegative(value, nameof(Beta)); } = 0.1;

    /// <summary>γ, the weight of R_align = 1 − cos(g, g_s).</summary>
    public double Gamma { get; init => field = Hyperparameter.NonNegative(value, nameof(Gamma)); } = 0.1;

    /// <summary>c_τ in τ = c_τ · EMA(||g||).</summary>
    public double ClipFactor { get; init => field = Hyperparameter.Positive(value, nameof(ClipFactor)); } = 1.5;

    /// <summary>Decay of the EMA of ||g|| (bias-corrected, as in form B).</summary>
    public double NormEmaDecay { get; init => field = Hyperparameter.UnitInterval(value, nameof(NormEmaDecay)); } = 0.98;

    /// <summary>The finite-difference step along v̂ relative to ||θ||: ε = Epsilon·||θ|| (METHODS: 1e-3).</summary>
    public double Epsilon { get; init => field = Hyperparameter.Positive(value, nameof(Epsilon)); } = 1e-3;
}

/// <summary>
/// SGG form A (METHODS §2b), the faithful loss form: the gradient of L = L_tgt + α R_dir + β R_mag + γ R_align with
/// R_dir = 1 − cos(g, d) (d under stop-grad), R_mag = ½ max(0, ||g||/τ − 1)², R_align = 1 − cos(g, g_s). Its gradient is
/// g + H v + H_s v_s with H, H_s the Hessians of the target and source losses and
/// v = −α (d̂ − c ĝ)/||g|| + (β/τ) max(0, ||g||/τ − 1) ĝ − γ (ĝ_s − c_s ĝ)/||g||, v_s = −γ (ĝ − c_s ĝ_s)/||g_s||;
/// each product is a forward finite difference of the gradient along the vector, H v ≈ ||v|| (∇L(θ + ε v̂) − ∇L(θ))/ε with
/// ε = 1e-3 ||θ||, on the same batch. So a step costs two more forward/backward passes than form B's. Not a fused chain
/// link: it runs around the base optimizer's step, on the device.
/// </summary>
public sealed class SggFormA(SggFormAOptions? options = null) : IDisposable
{
    private static readonly FusedProgram GramProgram = BuildGram();
    private static readonly FusedProgram CoefficientsProgram = BuildCoefficients();
    private static readonly FusedProgram CombineProgram = BuildCombine();
    private static readonly FusedProgram SquaredNormProgram = BuildSquaredNorm();
    private static readonly FusedProgram ShiftProgram = BuildShift();
    private static readonly FusedProgram AccumulateProgram = BuildAccumulate();

    /// <summary>The state as set before the first step (a resumed run's); the workspace takes it over on the device.</summary>
    private (double NormEma, long MagnitudeSteps) _initial;

    private Workspace? _workspace;

    public SggFormAOptions Options { get; } = options ?? new SggFormAOptions();

    /// <summary>The EMA of ||g|| (before bias correction): state a checkpoint carries. Reading it waits for the device.</summary>
    public double NormEma
    {
        get => _workspace?.Read(Workspace.NormEmaIndex) ?? _initial.NormEma;
        set
        {
            if (_workspace is null) _initial.NormEma = value;
            else _workspace.Write(Workspace.NormEmaIndex, value);
        }
    }

    /// <summary>Steps taken.</summary>
    public long Steps { get; set; }

    /// <summary>τ of the last step (0 before any). Reading it waits for the device.</summary>
    public double Tau => _workspace?.Read(Workspace.TauIndex) ?? 0;

    /// <summary>cos(g, g_s) of the last step (0 before any). Reading it waits for the device.</summary>
    public double CosineGradSource => _workspace?.Read(Workspace.CosineIndex) ?? 0;

    /// <summary>Steps so far in which ||g|| > τ (R_mag active): state a checkpoint carries. Reading it waits for the device.</summary>
    public long MagnitudeSteps
    {
        get => _workspace is { } w ? (long)w.Read(Workspace.MagnitudeStepsIndex) : _initial.MagnitudeSteps;
        set
        {
            if (_workspace is null) _initial.MagnitudeSteps = value;
            else _workspace.Write(Workspace.MagnitudeStepsIndex, value);
        }
    }

    /// <summary>
    /// The gradient of the regularized loss at the weights in <paramref name="store"/>: <paramref name="gradientAt"/>(true)
    /// runs the target batch's backward at the weights now in the store, leaving its gradient in the store's gradients,
    /// (false) the source batch's. It is called for g and g_s at the store's weights, then at the shifted weights of each
    /// Hessian product (the source's only when γ > 0; neither when α = β = γ = 0). On return the store holds its weights
    /// as on entry (bit for bit) and the form's gradient for the base optimizer's step. <paramref name="d"/> is the
    /// reference direction (the base optimizer's first moment; null: d = 0, so no direction term, as for SGD without
    /// momentum). Everything stays on the device: the coefficients and the EMA come from a one-element program over the
    /// Gram entries, so a step never waits for the device.
    /// </summary>
    public void Gradient(ParameterStore store, Tensor? d, Action<bool> gradientAt)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(gradientAt);
        if (d is not null && d.Count != store.Count)
            throw new ArgumentException($"SGG form A: the direction d has {d.Count} values, the parameter store {store.Count}", nameof(d));
        var w = _workspace ??= new Workspace(store.Device, store.Count, _initial.NormEma, _initial.MagnitudeSteps);
        if (w.Theta.Count != store.Count || w.Theta.Device != store.Device)
            throw new InvalidOperationException("SGG form A: this form's workspace belongs to another parameter store");
        d ??= w.Zeros;
        DeviceMath.CopyInto(store.Values, w.Theta);
        gradientAt(true);
        DeviceMath.CopyInto(store.Grads, w.G);
        gradientAt(false);
        DeviceMath.CopyInto(store.Grads, w.S);
        Steps++;
        if (store.Count > 0) DeviceMath.Run(GramProgram, [], [], [w.G, w.S, d, w.Theta], w.Gram);
        double decay = Options.NormEmaDecay;
        DeviceMath.Run(CoefficientsProgram,
            [(float)Options.Alpha, (float)Options.Beta, (float)Options.Gamma, (float)decay, (float)(1 / (1 - Math.Pow(decay, Steps))),
             (float)Options.ClipFactor, (float)Options.Epsilon],
            w.CoefficientOutputs, [.. w.GramEntries, w.State[Workspace.NormEmaIndex], w.State[Workspace.MagnitudeStepsIndex]]);
        DeviceMath.CopyInto(w.G, w.Result);
        if (Options.Alpha > 0 || Options.Beta > 0 || Options.Gamma > 0)
            AddHessianProduct(store, w, w.Coefficient(0), d, w.Coefficient(1), w.Coefficient(2), baseline: w.G, () => gradientAt(true));
        if (Options.Gamma > 0)
            AddHessianProduct(store, w, w.Zero, d, w.Coefficient(3), w.Coefficient(4), baseline: w.S, () => gradientAt(false));
        DeviceMath.CopyInto(w.Theta, store.Values);
        DeviceMath.CopyInto(w.Result, store.Grads);
    }

    /// <summary>result += H v ≈ ||v|| (∇(θ + ε v̂) − ∇(θ)) / ε, v = a d + b g + c g_s (device scalars), ∇(θ) = <paramref name="baseline"/>.</summary>
    private static void AddHessianProduct(ParameterStore store, Workspace w, Tensor a, Tensor d, Tensor b, Tensor c, Tensor baseline,
                                          Action gradientAtStore)
    {
        if (store.Count == 0) return;
        DeviceMath.Run(CombineProgram, [], [w.V], [a, d, b, w.G, c, w.S]);
        DeviceMath.Run(SquaredNormProgram, [], [], [w.V], w.SquaredNorm);
        var eps = w.Coefficient(5);
        DeviceMath.Run(ShiftProgram, [], [store.Values], [w.Theta, w.V, w.SquaredNormValue, eps]);
        gradientAtStore();
        DeviceMath.Run(AccumulateProgram, [], [w.Result], [w.Result, store.Grads, baseline, w.SquaredNormValue, eps]);
    }

    private static FusedProgram BuildGram()
    {
        var f = new FusionBuilder("sgg_form_a_gram");
        var g = f.Input("g");
        var s = f.Input("g_s");
        var d = f.Input("d");
        var theta = f.Input("theta");
        f.Reduction("gg", Fx.SumSquares(g));
        f.Reduction("gs", Fx.Dot(g, s));
        f.Reduction("ss", Fx.SumSquares(s));
        f.Reduction("gd", Fx.Dot(g, d));
        f.Reduction("dd", Fx.SumSquares(d));
        f.Reduction("tt", Fx.SumSquares(theta));
        return f.Build();
    }

    /// <summary>
    /// From the Gram entries and the state: v = a d + b g + c g_s, v_s = b_s g + c_s g_s (METHODS §2b's terms gathered by
    /// vector, each 0 where its norm is), ε = Epsilon·||θ||, and the new EMA, τ, cos(g, g_s) and R_mag count.
    /// </summary>
    private static FusedProgram BuildCoefficients()
    {
        const float tiny = 1e-30f;
        var f = new FusionBuilder("sgg_form_a_coefficients");
        var gg = f.Input("gg");
        var gs = f.Input("gs");
        var ss = f.Input("ss");
        var gd = f.Input("gd");
        var dd = f.Input("dd");
        var tt = f.Input("tt");
        var ema = f.Input("norm_ema");
        var count = f.Input("magnitude_steps");
        var alpha = f.Scalar("alpha");
        var beta = f.Scalar("beta");
        var gamma = f.Scalar("gamma");
        var decay = f.Scalar("ema_decay");
        var invBias = f.Scalar("inv_bias_correction");
        var clipFactor = f.Scalar("c_tau");
        var epsilon = f.Scalar("epsilon");

        var gNorm = Fx.Sqrt(gg);
        var sNorm = Fx.Sqrt(ss);
        var dNorm = Fx.Sqrt(dd);
        var hasG = Fx.Greater(gNorm, 0f);
        var hasS = hasG * Fx.Greater(sNorm, 0f);
        var hasD = hasG * Fx.Greater(dNorm, 0f);
        var newEma = decay * ema + (1f - decay) * gNorm;
        var tau = clipFactor * newEma * invBias;
        var cos = Fx.Where(hasS, gs / Fx.Max(gNorm * sNorm, tiny), 0f);
        var cDir = Fx.Where(hasD, gd / Fx.Max(gNorm * dNorm, tiny), 0f);
        var excess = Fx.Where(hasG, Fx.Max(gNorm / Fx.Max(tau, tiny) - 1f, 0f), 0f);
        var safeGg = Fx.Max(gg, tiny);
        f.Output("a", Fx.Where(hasD, -alpha / Fx.Max(dNorm * gNorm, tiny), 0f));
        f.Output("b", Fx.Where(hasD, alpha * cDir / safeGg, 0f) + Fx.Where(hasG, beta / Fx.Max(tau, tiny) * excess / Fx.Max(gNorm, tiny), 0f)
                      + Fx.Where(hasS, gamma * cos / safeGg, 0f));
        // R_align's Hessian terms are symmetric in (g, g_s): g_s's weight in v is g's weight in v_s.
        var crossAlign = Fx.Where(hasS, -gamma / Fx.Max(gNorm * sNorm, tiny), 0f);
        f.Output("c", crossAlign);
        f.Output("b_s", crossAlign);
        f.Output("c_s", Fx.Where(hasS, gamma * cos / Fx.Max(ss, tiny), 0f));
        f.Output("eps", epsilon * Fx.Max(Fx.Sqrt(tt), 1e-12f));
        f.Output("norm_ema_out", newEma);
        f.Output("tau", tau);
        f.Output("cos_g_gs", cos);
        f.Output("magnitude_steps_out", count + Fx.Greater(gNorm, tau));
        return f.Build();
    }

    private static FusedProgram BuildCombine()
    {
        var f = new FusionBuilder("sgg_form_a_combine");
        var a = f.Input("a");
        var d = f.Input("d");
        var b = f.Input("b");
        var g = f.Input("g");
        var c = f.Input("c");
        var s = f.Input("g_s");
        f.Output("v", a * d + b * g + c * s);
        return f.Build();
    }

    private static FusedProgram BuildSquaredNorm()
    {
        var f = new FusionBuilder("sgg_form_a_norm");
        f.Reduction("vv", Fx.SumSquares(f.Input("v")));
        return f.Build();
    }

    /// <summary>θ + ε v̂ (θ itself where v = 0).</summary>
    private static FusedProgram BuildShift()
    {
        var f = new FusionBuilder("sgg_form_a_shift");
        var theta = f.Input("theta");
        var v = f.Input("v");
        var vv = f.Input("vv");
        var eps = f.Input("eps");
        f.Output("shifted", theta + eps / Fx.Sqrt(Fx.Max(vv, 1e-30f)) * v);
        return f.Build();
    }

    /// <summary>result + ||v|| (∇(θ + ε v̂) − ∇(θ)) / ε.</summary>
    private static FusedProgram BuildAccumulate()
    {
        var f = new FusionBuilder("sgg_form_a_accumulate");
        var result = f.Input("result");
        var shifted = f.Input("grad_shifted");
        var baseline = f.Input("grad");
        var vv = f.Input("vv");
        var eps = f.Input("eps");
        f.Output("result_out", result + Fx.Sqrt(vv) / eps * (shifted - baseline));
        return f.Build();
    }

    public void Dispose() => _workspace?.Dispose();

    /// <summary>θ, g, g_s, v and the result on the device (store-sized); the reductions, coefficients and state.</summary>
    private sealed class Workspace : IDisposable
    {
        public const int NormEmaIndex = 0, TauIndex = 1, CosineIndex = 2, MagnitudeStepsIndex = 3;

        private readonly ComputeDevice _device;
        private readonly int _count;
        private readonly Tensor _coefficients;
        private readonly Tensor[] _coefficientViews;
        private readonly Tensor _state;
        private readonly Tensor _squaredNorm;
        private Tensor? _zeros;

        public Workspace(ComputeDevice device, long count, double normEma, long magnitudeSteps)
        {
            _device = device;
            _count = checked((int)count);
            Theta = Tensor.Zeros(device, _count);
            G = Tensor.Zeros(device, _count);
            S = Tensor.Zeros(device, _count);
            V = Tensor.Zeros(device, _count);
            Result = Tensor.Zeros(device, _count);
            Gram = Tensor.Zeros(device, 6);
            GramEntries = Enumerable.Range(0, 6).Select(k => DeviceMath.Item(Gram, k)).ToArray();
            _coefficients = Tensor.Zeros(device, 6);
            _coefficientViews = Enumerable.Range(0, 6).Select(k => DeviceMath.Item(_coefficients, k)).ToArray();
            _state = Tensor.Zeros(device, 4);
            State = Enumerable.Range(0, 4).Select(k => DeviceMath.Item(_state, k)).ToArray();
            _squaredNorm = Tensor.Zeros(device, 1);
            SquaredNormValue = DeviceMath.Item(_squaredNorm, 0);
            Zero = Tensor.Zeros(device);
            Write(NormEmaIndex, normEma);
            Write(MagnitudeStepsIndex, magnitudeSteps);
        }

        public Tensor Theta { get; }
        public Tensor G { get; }
        public Tensor S { get; }
        public Tensor V { get; }
        public Tensor Result { get; }
        public Tensor Gram { get; }
        public Tensor[] GramEntries { get; }

        /// <summary>The norm EMA, τ, cos(g, g_s) and the R_mag count, as rank-0 device scalars.</summary>
        public Tensor[] State { get; }

        public Tensor SquaredNorm => _squaredNorm;
        public Tensor SquaredNormValue { get; }

        /// <summary>A device scalar 0 (v_s has no d term).</summary>
        public Tensor Zero { get; }

        /// <summary>a, b, c, b_s, c_s, ε.</summary>
        public Tensor Coefficient(int k) => _coefficientViews[k];

        /// <summary>The coefficient program's outputs: the six coefficients, then the new norm EMA, τ, cos and R_mag count.</summary>
        public Tensor[] CoefficientOutputs => [.. _coefficientViews, State[NormEmaIndex], State[TauIndex], State[CosineIndex], State[MagnitudeStepsIndex]];

        /// <summary>d = 0 for a base optimizer without a first moment; allocated on first use.</summary>
        public Tensor Zeros => _zeros ??= Tensor.Zeros(_device, _count);

        public double Read(int index) => State[index].ToArray()[0];

        public void Write(int index, double value) => DeviceMath.Write(State[index], [(float)value]);

        public void Dispose()
        {
            foreach (var view in GramEntries.Concat(_coefficientViews).Concat(State).Append(SquaredNormValue)) view.Dispose();
            foreach (var t in new[] { Theta, G, S, V, Result, Gram, _coefficients, _state, _squaredNorm, Zero, _zeros }) t?.Dispose();
        }
    }
}
