using Engine.Optim;

namespace Engine.Tests.Optim;

/// <summary>
/// Double-precision scalar versions of torch.optim.AdamW and torch.optim.SGD (dampening 0) with
/// clip_grad_norm_ before the step, over a flat parameter vector; <c>decay[i]</c> says whether weight decay
/// applies to element i (PyTorch's parameter groups). Written from PyTorch's formulas, not from the engine's code.
/// </summary>
internal sealed class OptimizerReference
{
    private readonly bool[] _decay;
    private readonly double[] _m, _v, _buffer;
    private long _step;

    public OptimizerReference(float[] initial, bool[] decay)
    {
        P = initial.Select(x => (double)x).ToArray();
        _decay = decay;
        _m = new double[P.Length];
        _v = new double[P.Length];
        _buffer = new double[P.Length];
    }

    public double[] P { get; }
    public double[] M => _m;
    public double[] V => _v;
    public double[] Buffer => _buffer;
    public double LastGradNorm { get; private set; }
    public double LastClipCoefficient { get; private set; }

    public void AdamW(float[] grad, LearningRateSchedule schedule, double b1, double b2, double eps, double wd, double? clip)
    {
        var g = Clip(grad, clip);
        _step++;
        double lr = NanoGptLr(schedule, _step - 1);
        double bias1 = 1 - Math.Pow(b1, _step), bias2 = 1 - Math.Pow(b2, _step);
        for (int i = 0; i < P.Length; i++)
        {
            P[i] *= 1 - lr * (_decay[i] ? wd : 0);
            _m[i] = b1 * _m[i] + (1 - b1) * g[i];
            _v[i] = b2 * _v[i] + (1 - b2) * g[i] * g[i];
            P[i] -= lr * (_m[i] / bias1) / (Math.Sqrt(_v[i]) / Math.Sqrt(bias2) + eps);
        }
    }

    public void Sgd(float[] grad, double lr, double momentum, bool nesterov, double wd, double? clip)
    {
        var g = Clip(grad, clip);
        _step++;
        for (int i = 0; i < P.Length; i++)
        {
            double d = g[i] + (_decay[i] ? wd : 0) * P[i];
            if (momentum != 0)
            {
                _buffer[i] = _step == 1 ? d : momentum * _buffer[i] + d;
                d = nesterov ? d + momentum * _buffer[i] : _buffer[i];
            }
            P[i] -= lr * d;
        }
    }

    /// <summary>nanoGPT's get_lr for warmup-cosine schedules (written out again here), the constant otherwise.</summary>
    public static double NanoGptLr(LearningRateSchedule schedule, long it) => schedule switch
    {
        WarmupCosineSchedule s => it < s.WarmupIters
            ? s.LearningRate * (it + 1) / (s.WarmupIters + 1)
            : it > s.LrDecayIters
                ? s.MinLearningRate
                : s.MinLearningRate + 0.5 * (1.0 + Math.Cos(Math.PI * (it - s.WarmupIters) / (s.LrDecayIters - s.WarmupIters)))
                  * (s.LearningRate - s.MinLearningRate),
        ConstantSchedule c => c.LearningRate,
        _ => throw new ArgumentException($"no reference for schedule {schedule}"),
    };

    private double[] Clip(float[] grad, double? maxNorm)
    {
        var g = grad.Select(x => (double)x).ToArray();
        LastGradNorm = Math.Sqrt(g.Sum(x => x * x));
        LastClipCoefficient = maxNorm is { } max ? Math.Min(1, max / (LastGradNorm + 1e-6)) : 1;
        for (int i = 0; i < g.Length; i++) g[i] *= LastClipCoefficient;
        return g;
    }
}
