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
    private static readonly FusedProgram CombineProgram = BuildCombine();
    private static readonly FusedProgram SquaredNormProgram = BuildSquaredNorm();

    private Workspace? _workspace;

    public SggFormAOptions Options { get; } = options ?? new SggFormAOptions();

    /// <summary>The EMA of ||g|| (before bias correction) and the steps taken: the state a checkpoint carries.</summary>
    public double NormEma { get; set; }

    public long Steps { get; set; }

    /// <summary>τ of the last step.</summary>
    public double Tau { get; private set; }

    /// <summary>cos(g, g_s) of the last step.</summary>
    public double CosineGradSource { get; private set; }

    /// <summary>Steps so far in which ||g|| > τ (R_mag active).</summary>
    public long MagnitudeSteps { get; set; }

    /// <summary>
    /// The gradient of the regularized loss at the weights in <paramref name="store"/>: <paramref name="gradientAt"/>(true) runs the target batch's
    /// backward at the weights now in the store, leaving its gradient in the store's gradients, (false) the source batch's.
    /// It is called for g and g_s at the store's weights, then at the shifted weights of each Hessian product. On return
    /// the store holds its weights as on entry (bit for bit) and the form's gradient for the base optimizer's step.
    /// <paramref name="d"/> is the reference direction (the base optimizer's first moment; null: d = 0, so no direction
    /// term, as for SGD without momentum). Only eight scalars (the Gram
    /// entries of g, g_s, d, ||θ||² and the two ||v||) are read to the host, never a vector.
    /// </summary>
    public void Gradient(ParameterStore store, Tensor? d, Action<bool> gradientAt)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(gradientAt);
        if (d is not null && d.Count != store.Count)
            throw new ArgumentException($"SGG form A: the direction d has {d.Count} values, the parameter store {store.Count}", nameof(d));
        var w = _workspace ??= new Workspace(store.Device, store.Count);
        if (w.Theta.Count != store.Count || w.Theta.Device != store.Device)
            throw new InvalidOperationException("SGG form A: this form's workspace belongs to another parameter store");
        d ??= w.Zeros;
        DeviceMath.CopyInto(store.Values, w.Theta);
        gradientAt(true);
        DeviceMath.CopyInto(store.Grads, w.G);
        gradientAt(false);
        DeviceMath.CopyInto(store.Grads, w.S);
        var gram = new float[6];
        if (store.Count > 0)
        {
            DeviceMath.Run(GramProgram, [], [], [w.G, w.S, d, w.Theta], w.Scalars);
            w.Scalars.Device.Read(w.Scalars.DataSlice, gram.AsSpan());
        }
        double gg = gram[0], gs = gram[1], ss = gram[2], gd = gram[3], dd = gram[4], tt = gram[5];
        double gNorm = Math.Sqrt(gg), sNorm = Math.Sqrt(ss), dNorm = Math.Sqrt(dd);
        Advance(gNorm, sNorm, gs);
        DeviceMath.CopyInto(w.G, w.Result);
        if (gNorm > 0)
        {
            // v's three terms gathered by vector: v = a d + b g + c g_s.
            double cDir = dNorm > 0 ? gd / (gNorm * dNorm) : 0;
            double excess = Math.Max(0, gNorm / Tau - 1);
            double a = dNorm > 0 ? -Options.Alpha / (dNorm * gNorm) : 0;
            double b = (dNorm > 0 ? Options.Alpha * cDir / gg : 0) + Options.Beta / Tau * excess / gNorm
                       + (sNorm > 0 ? Options.Gamma * CosineGradSource / gg : 0);
            double c = sNorm > 0 ? -Options.Gamma / (sNorm * gNorm) : 0;
            double eps = Options.Epsilon * Math.Max(Math.Sqrt(tt), 1e-12);
            AddHessianProduct(store, w, (a, d), (b, w.G), (c, w.S), baseline: w.G, eps, () => gradientAt(true));
            if (sNorm > 0 && Options.Gamma > 0)
                AddHessianProduct(store, w, (0, d), (-Options.Gamma / (gNorm * sNorm), w.G), (Options.Gamma * CosineGradSource / ss, w.S),
                                  baseline: w.S, eps, () => gradientAt(false));
        }
        DeviceMath.CopyInto(w.Theta, store.Values);
        DeviceMath.CopyInto(w.Result, store.Grads);
    }

    /// <summary>The EMA of ||g||, τ, cos(g, g_s) and the step counters, from this step's norms.</summary>
    private void Advance(double gNorm, double sNorm, double gDotS)
    {
        Steps++;
        double decay = Options.NormEmaDecay;
        NormEma = decay * NormEma + (1 - decay) * gNorm;
        Tau = Options.ClipFactor * NormEma / (1 - Math.Pow(decay, Steps));
        CosineGradSource = gNorm > 0 && sNorm > 0 ? gDotS / (gNorm * sNorm) : 0;
        if (gNorm > Tau) MagnitudeSteps++;
    }

    /// <summary>result += H v ≈ ||v|| (∇(θ + ε v̂) − ∇(θ)) / ε, v = Σ coefficient·vector, ∇(θ) = <paramref name="baseline"/>.</summary>
    private static void AddHessianProduct(ParameterStore store, Workspace w, (double, Tensor) x, (double, Tensor) y, (double, Tensor) z,
                                          Tensor baseline, double eps, Action gradientAtStore)
    {
        Combine(w.V, x, y, z);
        var squared = new float[1];
        if (store.Count > 0)
        {
            DeviceMath.Run(SquaredNormProgram, [], [], [w.V], w.Scalars);
            w.Scalars.Device.Read(w.Scalars.DataSlice, squared.AsSpan(0, 1));
        }
        double vNorm = Math.Sqrt(squared[0]);
        if (vNorm == 0) return;
        Combine(store.Values, (1, w.Theta), (eps / vNorm, w.V), (0, w.V));
        gradientAtStore();
        Combine(w.Result, (1, w.Result), (vNorm / eps, store.Grads), (-vNorm / eps, baseline));
    }

    private static void Combine(Tensor target, (double A, Tensor X) x, (double B, Tensor Y) y, (double C, Tensor Z) z) =>
        DeviceMath.Run(CombineProgram, [(float)x.A, (float)y.B, (float)z.C], [target], [x.X, y.Y, z.Z]);

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

    private static FusedProgram BuildCombine()
    {
        var f = new FusionBuilder("sgg_form_a_combine");
        var a = f.Scalar("a");
        var b = f.Scalar("b");
        var c = f.Scalar("c");
        f.Output("out", a * f.Input("x") + b * f.Input("y") + c * f.Input("z"));
        return f.Build();
    }

    private static FusedProgram BuildSquaredNorm()
    {
        var f = new FusionBuilder("sgg_form_a_norm");
        f.Reduction("vv", Fx.SumSquares(f.Input("v")));
        return f.Build();
    }

    public void Dispose() => _workspace?.Dispose();

    /// <summary>θ, g, g_s, v and the result on the device (store-sized), and the reductions read back.</summary>
    private sealed class Workspace(ComputeDevice device, long count) : IDisposable
    {
        public Tensor Theta { get; } = Tensor.Zeros(device, checked((int)count));
        public Tensor G { get; } = Tensor.Zeros(device, checked((int)count));
        public Tensor S { get; } = Tensor.Zeros(device, checked((int)count));
        public Tensor V { get; } = Tensor.Zeros(device, checked((int)count));
        public Tensor Result { get; } = Tensor.Zeros(device, checked((int)count));
        public Tensor Scalars { get; } = Tensor.Zeros(device, 6);

        private readonly ComputeDevice _device = device;
        private readonly int _count = checked((int)count);
        private Tensor? _zeros;

        /// <summary>d = 0 for a base optimizer without a first moment; allocated on first use.</summary>
        public Tensor Zeros => _zeros ??= Tensor.Zeros(_device, _count);

        public void Dispose()
        {
            foreach (var t in new[] { Theta, G, S, V, Result, Scalars, _zeros }) t?.Dispose();
        }
    }
}
