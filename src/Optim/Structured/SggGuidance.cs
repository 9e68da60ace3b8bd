using Engine.Kernels.Devices;
using Engine.Tensors;

namespace Engine.Optim.Structured;

/// <summary>What an SGG step did, read from the device (for logging).</summary>
/// <param name="A">Coefficient of g in u = a g + b g_s + c d.</param>
/// <param name="B">Coefficient of g_s.</param>
/// <param name="C">Coefficient of d.</param>
/// <param name="CosineGradSource">cos(g, g_s) of the last step.</param>
/// <param name="Tau">The clip threshold τ of the last step (+∞ when clipping is off).</param>
/// <param name="ClipRate">Fraction of the steps so far in which the clip was active.</param>
public sealed record SggMetrics(double A, double B, double C, double CosineGradSource, double Tau, double ClipRate);

/// <summary>
/// SGG form B (METHODS §2b), first-order structured gradient guidance: from the target gradient g, a source
/// gradient g_s and a reference direction d (the optimizer's momentum m_{t-1}) it forms u = a g + b g_s + c d:
/// A-GEM conflict projection of g against g_s (plus γ_s times g_s projected against g, for joint source training), a blend of the direction with d (α), and an adaptive clip at
/// τ = c_τ · EMA_0.98(||g||). Every norm and inner product involved is a function of the six Gram entries.
/// <para>Phases (DESIGN §6):</para>
/// <list type="bullet">
/// <item>R: one fused reduction over g, g_s, d gives {gg, gs, gd, ss, sd, dd} (12 B/param, fp64 accumulation);</item>
/// <item>S: a one-element fused program turns them into (a, b, c), the metrics and the new norm EMA — on the
///   device, so nothing waits for the host;</item>
/// <item>U: u = a g + b g_s + c d as one fused elementwise pass with a, b, c read from device memory; in an optimizer
///   chain the same expression heads the AdamW/SGD update instead of being written out.</item>
/// </list>
/// Create it outside any TensorScope: it allocates its device scalars once.
/// </summary>
public sealed class SggGuidance : IDisposable
{
    /// <summary>Persistent device scalars: a, b, c, cos(g, g_s), τ, norm EMA, clip count (the coefficient program's outputs).</summary>
    private readonly Tensor _scalars;
    private readonly Tensor _gram;
    private readonly Tensor _one;

    public SggGuidance(ComputeDevice device, SggOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        Options = options ?? new SggOptions();
        Device = device;
        _gram = Tensor.Zeros(device, SggPrograms.GramEntries.Length);
        _scalars = Tensor.Zeros(device, SggPrograms.CoefficientOutputs);
        _one = Tensor.Ones(device);
    }

    public SggOptions Options { get; }
    public ComputeDevice Device { get; }
    public long StepCount { get; private set; }

    /// <summary>The Gram entries of the last step (device), in the order gg, gs, gd, ss, sd, dd.</summary>
    public Tensor Gram => _gram;

    /// <summary>
    /// The device scalars of the last step: a, b, c (u = a g + b g_s + c d), then cos(g, g_s), τ, the norm EMA and
    /// the clip count. An optimizer's fused update can bind the first three as broadcast operands.
    /// </summary>
    public Tensor DeviceScalars => _scalars;

    /// <summary>
    /// One step: u = a g + b g_s + c d written to <paramref name="output"/> (dense, same shape; it may be
    /// <paramref name="gradient"/> itself). All tensors share one shape, any rank. <paramref name="sourceGradient"/> may be
    /// Float32 or BFloat16 (its own type decides; <see cref="SggOptions.SourcePrecision"/> is for optimizers that keep g_s).
    /// </summary>
    public void Step(Tensor gradient, Tensor sourceGradient, Tensor direction, Tensor output)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        ArgumentNullException.ThrowIfNull(sourceGradient);
        ArgumentNullException.ThrowIfNull(direction);
        ArgumentNullException.ThrowIfNull(output);
        DeviceMath.RequireSameShape(gradient, sourceGradient, "SGG: the gradient", "the source gradient");
        DeviceMath.RequireSameShape(gradient, direction, "SGG: the gradient", "the direction");
        DeviceMath.RequireSameShape(gradient, output, "SGG: the gradient", "the output");
        StepCount++;

        using var scope = new TensorScope();
        DeviceMath.Run(SggPrograms.Gram(sourceGradient.DType), [], [], [gradient, sourceGradient, direction], _gram);
        var entries = Enumerable.Range(0, SggPrograms.GramEntries.Length).Select(k => DeviceMath.Item(_gram, k)).ToArray();
        var scalars = Enumerable.Range(0, SggPrograms.CoefficientOutputs).Select(k => DeviceMath.Item(_scalars, k)).ToArray();
        DeviceMath.Run(SggPrograms.Coefficients, SggPrograms.CoefficientScalars(Options, StepCount), scalars, [.. entries, scalars[5], scalars[6], _one]);
        DeviceMath.Run(SggPrograms.Combine(sourceGradient.DType), [], [output], [gradient, sourceGradient, direction, scalars[0], scalars[1], scalars[2]]);
    }

    /// <summary>The coefficients and metrics of the last step on the host (waits for it).</summary>
    public SggMetrics ReadMetrics()
    {
        var v = _scalars.ToArray();
        return new SggMetrics(v[0], v[1], v[2], v[3], Options.ClipFactor is null ? double.PositiveInfinity : v[4],
                              StepCount == 0 ? 0 : v[6] / StepCount);
    }

    public void Dispose()
    {
        _gram.Dispose();
        _scalars.Dispose();
        _one.Dispose();
    }
}
