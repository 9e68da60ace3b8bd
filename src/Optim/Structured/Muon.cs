using Engine.Kernels.Devices;
using Engine.Tensors;

namespace Engine.Optim.Structured;

/// <summary>
/// Muon (METHODS §4.4) for one 2-D hidden matrix: Nesterov momentum, then the update orthogonalized by a quintic
/// Newton–Schulz iteration, W ← (1 − lr·wd) W − lr·sqrt(max(1, m/n))·NS(U). Everything per step runs on the device.
/// <para>Phases (DESIGN §6):</para>
/// <list type="bullet">
/// <item>U (first half): the momentum update and the Nesterov look-ahead in one fused pass;</item>
/// <item>R: ||U||_F, reduced inside the normalizing program (device-resident);</item>
/// <item>S: Newton–Schulz, per iteration three GEMMs (X Xᵀ, A², B X) and two fused maps, on the wide orientation
///   (rows ≤ cols: a tall matrix is orthogonalized as its transpose, read through a view);</item>
/// <item>U: the decoupled decay and the scaled step in one fused pass over W.</item>
/// </list>
/// Create it outside any TensorScope: it allocates its momentum buffer once.
/// </summary>
public sealed class Muon : IDisposable
{
    private readonly Tensor _momentum;
    private readonly Tensor _one;

    public Muon(ComputeDevice device, int rows, int cols, MuonOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (rows < 1 || cols < 1)
            throw new ArgumentOutOfRangeException(nameof(rows), $"Muon needs a matrix with rows, cols >= 1, got [{rows}, {cols}]");
        Options = options ?? new MuonOptions();
        Rows = rows;
        Cols = cols;
        _momentum = Tensor.Zeros(device, rows, cols);
        _one = Tensor.Ones(device);
    }

    public MuonOptions Options { get; }
    public int Rows { get; }
    public int Cols { get; }

    /// <summary>The momentum buffer M (device).</summary>
    public Tensor Momentum => _momentum;

    /// <summary>The step scale of <see cref="MuonOptions.Scale"/>: sqrt(max(1, m/n)) by default.</summary>
    public double Scale => Options.StepScale(Rows, Cols);

    /// <summary>One step on <paramref name="weight"/> (updated in place) from <paramref name="grad"/>.</summary>
    public void Step(Tensor weight, Tensor grad, double learningRate)
    {
        DeviceMath.RequireMatrix(weight, Rows, Cols, "Muon weight");
        DeviceMath.RequireMatrix(grad, Rows, Cols, "Muon gradient");
        Hyperparameter.NonNegative(learningRate, nameof(learningRate));
        using var scope = new TensorScope();
        var update = Tensor.Zeros(weight.Device, Rows, Cols);
        DeviceMath.Run(MuonPrograms.Momentum(Options.Nesterov), [(float)Options.Momentum], [_momentum, update], [_momentum, grad, _one]);
        var orthogonal = Orthogonalize(update, Options.NewtonSchulzSteps);
        DeviceMath.Run(MuonPrograms.Apply, [(float)(1 - learningRate * Options.WeightDecay), (float)(learningRate * Scale)],
                       [weight], [weight, orthogonal]);
    }

    /// <summary>
    /// The Newton–Schulz orthogonalization of <paramref name="update"/> (a new tensor of the same shape): X = U/(||U||+1e-7),
    /// then <paramref name="steps"/> times X ← a X + (b A + c A²) X with A = X Xᵀ, on the orientation with rows ≤ cols.
    /// Its singular values land near [0.7, 1.2], not exactly at 1 (the quintic trades accuracy for speed).
    /// A [count, m, n] tensor is a batch of equal matrices, each orthogonalized on its own with batched products: one
    /// launch per product for the whole batch instead of one per matrix.
    /// <para>
    /// Every iterate is X_k = Q_k X₀ with Q_k an m×m polynomial in G = X₀X₀ᵀ (A_k = Q_k G Q_kᵀ, Q_{k+1} = a Q_k + B_k Q_k).
    /// Where n ≥ 2m this Gram form is cheaper: per stretch of steps, G and Q X₀ are its only m×n products. It is the same
    /// map, but G's fp32 rounding is amplified along with the small singular values the first steps grow (one singular
    /// value 1 and the rest 10⁻³: 1e-3 off the double reference, against 1e-5 direct); so the form restarts from
    /// X₂ = Q₂ X₀ after two steps, which brings it back to the direct form's accuracy: 8m²n + ~40m³ FLOPs for five steps
    /// instead of 5(4m²n + 2m³), for Muon's [100, 100000] matrix 2.5× fewer.
    /// </para>
    /// </summary>
    public static Tensor Orthogonalize(Tensor update, int steps = 5)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (update.Rank is not (2 or 3)) throw new ArgumentException($"Orthogonalize: expected a matrix or a batch of matrices, got {update}");
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"{nameof(steps)} must be >= 1, got {steps}");
        bool tall = update.Size(-2) > update.Size(-1);
        using var scope = new TensorScope();
        var oriented = tall ? update.Transpose() : update;
        int count = update.Rank == 3 ? update.Size(0) : 1, rows = oriented.Size(-2), cols = oriented.Size(-1);
        var x = Tensor.Zeros(update.Device, oriented.ShapeArray);
        // ||U||² per matrix, broadcast over its elements.
        var normSq = update.Contiguous().Reshape(count, rows * cols).SumOfSquares(1, keepDim: true);
        DeviceMath.Run(MuonPrograms.Normalize, [], [x], [oriented, update.Rank == 3 ? normSq.Reshape(count, 1, 1) : normSq.Reshape(1, 1)]);
        if (cols >= 2 * rows)
        {
            for (int done = 0; done < steps; done += GramStretch(done))
                x = GramForm(x, Math.Min(GramStretch(done), steps - done));
        }
        else
        {
            for (int i = 0; i < steps; i++)
            {
                var a = Tensor.MatMul(x, x, transposeB: true);
                var b = Tensor.Map(MuonPrograms.Polynomial, "NewtonSchulz", [], a, Tensor.MatMul(a, a));
                var bx = Tensor.MatMul(b, x);
                DeviceMath.Run(MuonPrograms.Update, [], [x], [x, bx]);
            }
        }
        return scope.Keep(tall ? x.Transpose() : x);
    }

    /// <summary>Steps of one Gram stretch: two first (they grow the small singular values most), then up to three.</summary>
    private static int GramStretch(int done) => done == 0 ? 2 : 3;

    /// <summary>The iteration on Q (m×m, from the identity) with A = Q G Qᵀ, then Q X₀; <paramref name="x0"/> is [(count,) m, n].</summary>
    private static Tensor GramForm(Tensor x0, int steps)
    {
        int m = x0.Size(-2);
        var device = x0.Device;
        var gram = Tensor.MatMul(x0, x0, transposeB: true);
        var q = Tensor.Zeros(device, gram.ShapeArray);
        DeviceMath.Run(MuonPrograms.Identity, [], [q],
                       [Tensor.Arange(device, m).Reshape(m, 1), Tensor.Arange(device, m).Reshape(1, m)]);
        for (int i = 0; i < steps; i++)
        {
            var a = Tensor.MatMul(Tensor.MatMul(q, gram), q, transposeB: true);
            var b = Tensor.Map(MuonPrograms.Polynomial, "NewtonSchulz", [], a, Tensor.MatMul(a, a));
            var bq = Tensor.MatMul(b, q);
            DeviceMath.Run(MuonPrograms.Update, [], [q], [q, bq]);
        }
        return Tensor.MatMul(q, x0);
    }

    public void Dispose()
    {
        _momentum.Dispose();
        _one.Dispose();
    }
}
