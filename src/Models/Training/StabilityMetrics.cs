using System.Text.Json.Nodes;
using Engine.Optim;

namespace Engine.Models.Training;

/// <summary>What a log line reports of METHODS §0's metrics shared by the three papers (null where not measured).</summary>
/// <param name="GvWindow">GV over the last <see cref="StabilityMetrics.Window"/> steps: std/mean of ||g_t||.</param>
/// <param name="GvRun">GV over every step of the run.</param>
/// <param name="DaWindow">DA over the window: the mean of cos(u_t, u_{t−1}) of the updates applied.</param>
/// <param name="DaRun">DA over the run.</param>
/// <param name="ValLossEma">The EMA(0.9) of the validation loss, which steps-to-target compares (evaluation steps).</param>
/// <param name="Perturbation">||θ_t − θ_0|| / ||θ_0|| over every parameter (evaluation steps).</param>
/// <param name="PerturbationByTensor">The same per parameter tensor, by name (evaluation steps).</param>
public sealed record StabilityReport(double GvWindow, double GvRun, double? DaWindow, double? DaRun,
                                     double? ValLossEma = null, double? Perturbation = null,
                                     IReadOnlyDictionary<string, double>? PerturbationByTensor = null);

/// <summary>
/// METHODS §0's metrics shared by the three papers, from every step's record (<see cref="StepStatistics"/>): GV = std/mean
/// of ||g_t|| (population std) and DA = mean cos(u_t, u_{t−1}), each over a sliding window and over the whole run, and the
/// EMA(0.9) of the validation loss that steps-to-target is read from. The run-long figures are running sums (Welford's for
/// GV), so a long run keeps nothing per step; everything is in <see cref="ToJson"/> for a checkpoint, and a resumed run
/// continues the same figures.
/// </summary>
public sealed class StabilityMetrics(int window)
{
    private const double ValLossDecay = 0.9;

    private readonly Queue<double> _norms = new();
    private readonly Queue<double> _cosines = new();
    private long _normCount;
    private double _normMean, _normM2;
    private long _cosineCount;
    private double _cosineSum;

    /// <summary>Steps in the sliding windows.</summary>
    public int Window { get; } = window > 0 ? window : throw new ArgumentOutOfRangeException(nameof(window), window, "must be positive");

    /// <summary>The EMA(0.9) of the validation losses added so far (the first one starts it); null before any.</summary>
    public double? ValLossEma { get; private set; }

    public void Add(IEnumerable<StepRecord> records)
    {
        foreach (var record in records)
        {
            double x = record.GradNorm;
            if (!double.IsFinite(x)) continue;   // a diverged step: the run stops there, its log says why
            Push(_norms, x);
            _normCount++;
            double delta = x - _normMean;
            _normMean += delta / _normCount;
            _normM2 += delta * (x - _normMean);
            if (record.UpdateCosine is { } cosine && double.IsFinite(cosine))
            {
                Push(_cosines, cosine);
                _cosineCount++;
                _cosineSum += cosine;
            }
        }
    }

    /// <summary>Drops the DA figures (a run that goes on without recording the alignment).</summary>
    public void ForgetAlignment()
    {
        _cosines.Clear();
        _cosineCount = 0;
        _cosineSum = 0;
    }

    public void AddValLoss(double loss)
    {
        if (double.IsFinite(loss)) ValLossEma = ValLossEma is { } ema ? ValLossDecay * ema + (1 - ValLossDecay) * loss : loss;
    }

    /// <summary>The figures now; NaN GV before any step, null DA before two.</summary>
    public StabilityReport Report() => new(
        Gv(_norms), _normCount == 0 || _normMean == 0 ? double.NaN : Math.Sqrt(_normM2 / _normCount) / _normMean,
        _cosines.Count == 0 ? null : _cosines.Average(), _cosineCount == 0 ? null : _cosineSum / _cosineCount);

    /// <summary>||θ − θ_0|| / ||θ_0|| over every parameter of <paramref name="store"/> and per parameter (NaN for one that starts at 0).</summary>
    public static (double Overall, Dictionary<string, double> ByTensor) Perturbation(ParameterStore store, float[] current, float[] start)
    {
        var byTensor = new Dictionary<string, double>(StringComparer.Ordinal);
        double movedAll = 0, sizeAll = 0;
        foreach (var p in store.Parameters)
        {
            double moved = 0, size = 0;
            for (long i = p.Offset; i < p.Offset + p.Count; i++)
            {
                double d = (double)current[i] - start[i];
                moved += d * d;
                size += (double)start[i] * start[i];
            }
            byTensor[p.Name] = size > 0 ? Math.Sqrt(moved / size) : double.NaN;
            movedAll += moved;
            sizeAll += size;
        }
        return (sizeAll > 0 ? Math.Sqrt(movedAll / sizeAll) : double.NaN, byTensor);
    }

    public JsonObject ToJson() => new()
    {
        ["norms"] = new JsonArray(_norms.Select(x => JsonValue.Create(x)).ToArray<JsonNode?>()),
        ["cosines"] = new JsonArray(_cosines.Select(x => JsonValue.Create(x)).ToArray<JsonNode?>()),
        ["norm_count"] = _normCount,
        ["norm_mean"] = _normMean,
        ["norm_m2"] = _normM2,
        ["cosine_count"] = _cosineCount,
        ["cosine_sum"] = _cosineSum,
        ["val_loss_ema"] = ValLossEma,
    };

    /// <summary>Continues the figures <see cref="ToJson"/> saved (a window of another length keeps its newest steps).</summary>
    public void Restore(JsonObject state)
    {
        foreach (var x in state["norms"]!.AsArray()) Push(_norms, x!.GetValue<double>());
        foreach (var x in state["cosines"]!.AsArray()) Push(_cosines, x!.GetValue<double>());
        _normCount = state["norm_count"]!.GetValue<long>();
        _normMean = state["norm_mean"]!.GetValue<double>();
        _normM2 = state["norm_m2"]!.GetValue<double>();
        _cosineCount = state["cosine_count"]!.GetValue<long>();
        _cosineSum = state["cosine_sum"]!.GetValue<double>();
        ValLossEma = state["val_loss_ema"]?.GetValue<double>();
    }

    private void Push(Queue<double> window, double value)
    {
        window.Enqueue(value);
        while (window.Count > Window) window.Dequeue();
    }

    private static double Gv(Queue<double> norms)
    {
        if (norms.Count == 0) return double.NaN;
        double mean = norms.Average();
        if (mean == 0) return double.NaN;
        double variance = norms.Sum(x => (x - mean) * (x - mean)) / norms.Count;
        return Math.Sqrt(variance) / mean;
    }
}
