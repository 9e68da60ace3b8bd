using Engine.Kernels.Devices;
using Engine.Optim;
using Engine.Tests.Optim;
using FsCheck;
using FsCheck.Fluent;
using MathNet.Numerics.LinearAlgebra;
using Xunit.Sdk;

namespace Engine.Tests.Methods;

/// <summary>One hidden matrix parameter of a random layout: <see cref="Blocks"/> row blocks of [Rows, Cols] each.</summary>
internal readonly record struct MatrixSpec(int Rows, int Cols, int Blocks)
{
    public override string ToString() => Blocks == 1 ? $"[{Rows}, {Cols}]" : $"{Blocks}x[{Rows}, {Cols}]";
}

/// <summary>
/// A parameter layout for the chain properties: hidden matrices (odd sizes, tall, wide, single rows, row-blocked runs), a
/// weight-decayed 2-D "other" parameter (an embedding) and a 1-D one without decay (a bias).
/// </summary>
internal sealed record StoreLayout(MatrixSpec[] Matrices, (int Rows, int Cols) Embedding, int Bias)
{
    public override string ToString() =>
        $"hidden {string.Join(" ", Matrices.Select(m => m.ToString()))}, emb [{Embedding.Rows}, {Embedding.Cols}], bias [{Bias}]";

    public ParameterStore Create(ComputeDevice device, int seed)
    {
        var store = new ParameterStore(device);
        store.Register("emb", [Embedding.Rows, Embedding.Cols]);
        for (int k = 0; k < Matrices.Length; k++)
        {
            var m = Matrices[k];
            store.Register($"w{k}", [m.Rows * m.Blocks, m.Cols], kind: ParameterKind.HiddenMatrix, matrixBlocks: m.Blocks);
        }
        store.Register("bias", [Bias], decay: false);
        store.Allocate();
        store.ImportValues(TestModel.Normal(new Random(seed), (int)store.Count, 0.5f));
        return store;
    }
}

/// <summary>Generators, double-precision helpers and element-wise checks shared by the chain reference tests.</summary>
internal static class ChainReferenceKit
{
    public static readonly Gen<int> Seed = Gen.Choose(0, int.MaxValue);

    /// <summary>1 to 3 hidden matrices of 1..9 × 1..9 per block (1 or 2 blocks), an embedding and a bias of odd sizes.</summary>
    public static readonly Gen<StoreLayout> Layout =
        from count in Gen.Choose(1, 3)
        from matrices in Gen.ArrayOf(from r in Gen.Choose(1, 9) from c in Gen.Choose(1, 9) from b in Gen.Choose(1, 2)
                                     select new MatrixSpec(r, c, b), count)
        from er in Gen.Choose(1, 7)
        from ec in Gen.Choose(1, 5)
        from bias in Gen.Choose(1, 9)
        select new StoreLayout(matrices, (er, ec), bias);

    public static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    public static double Norm(double[] a) => Math.Sqrt(Dot(a, a));

    public static double[] ToDouble(float[] values) => Array.ConvertAll(values, v => (double)v);

    /// <summary>Random N(0, 1) values, rounded to fp32, with global norm <paramref name="norm"/>.</summary>
    public static float[] Gradient(Random rng, int count, double norm)
    {
        var g = TestModel.Normal(rng, count, 1f);
        double current = Math.Sqrt(g.Sum(x => (double)x * x));
        return Array.ConvertAll(g, x => (float)(x * norm / current));
    }

    /// <summary>Per-element decay flags of the store (the weight-decayed segment).</summary>
    public static bool[] DecayMask(ParameterStore store)
    {
        var mask = new bool[store.Count];
        for (long i = 0; i < store.DecayedCount; i++) mask[i] = true;
        return mask;
    }

    /// <summary>Per-element: inside a hidden matrix.</summary>
    public static bool[] HiddenMask(ParameterStore store)
    {
        var mask = new bool[store.Count];
        foreach (var m in store.HiddenMatrices)
            for (long i = 0; i < (long)m.Rows * m.Cols; i++) mask[m.Offset + i] = true;
        return mask;
    }

    public static Matrix<double> Block(double[] flat, HiddenMatrix m) =>
        Matrix<double>.Build.Dense(m.Rows, m.Cols, (i, j) => flat[m.Offset + (long)i * m.Cols + j]);

    public static void SetBlock(double[] flat, HiddenMatrix m, Matrix<double> value)
    {
        for (int i = 0; i < m.Rows; i++)
            for (int j = 0; j < m.Cols; j++) flat[m.Offset + (long)i * m.Cols + j] = value[i, j];
    }

    /// <summary>
    /// Fails unless |actual − expected| ≤ relative·|expected| + absolute for every element (selected by
    /// <paramref name="where"/> when given), naming the first element that is off.
    /// </summary>
    public static void Elements(double[] expected, float[] actual, double relative, double absolute, string what, bool[]? where = null) =>
        Elements(expected, actual, expected.Select(x => relative * Math.Abs(x) + absolute).ToArray(), what, where);

    /// <summary>Fails unless |actual − expected| ≤ allowed for every element (selected by <paramref name="where"/>).</summary>
    public static void Elements(double[] expected, float[] actual, double[] tolerance, string what, bool[]? where = null)
    {
        if (expected.Length != actual.Length) throw new XunitException($"{what}: expected {expected.Length} values, got {actual.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            if (where is not null && !where[i]) continue;
            double allowed = tolerance[i];
            if (!(Math.Abs(actual[i] - expected[i]) <= allowed))
                throw new XunitException($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (|error| {Math.Abs(actual[i] - expected[i]):E3} > {allowed:E3})");
        }
    }

    /// <summary>The store-sized slot whose name ends with <paramref name="suffix"/> (e.g. "scale_by_adam.m").</summary>
    public static float[] Slot(OptimizerState state, string suffix) =>
        state.Slots.Single(s => s.Name.EndsWith(suffix, StringComparison.Ordinal)).Values;

    /// <summary>
    /// One AdamW step in double as PyTorch writes it, on the elements selected by <paramref name="where"/>:
    /// p ← p(1 − lr·wd) − lr·s·m̂/(sqrt(v̂) + eps), s a step multiplier that leaves the decay unscaled (1 for AdamW).
    /// </summary>
    public static void AdamW(double[] p, double[] m, double[] v, double[] u, long step, double lr, double b1, double b2, double eps,
                             double wd, bool[] decay, double multiplier = 1, bool[]? where = null, AdamConditioning? conditioning = null)
    {
        double bias1 = 1 - Math.Pow(b1, step), bias2 = 1 - Math.Pow(b2, step);
        double largest = 0;
        for (int i = 0; i < p.Length; i++)
        {
            if (where is not null && !where[i]) continue;
            m[i] = b1 * m[i] + (1 - b1) * u[i];
            v[i] = b2 * v[i] + (1 - b2) * u[i] * u[i];
            double denominator = Math.Sqrt(v[i]) / Math.Sqrt(bias2) + eps;
            p[i] = p[i] * (1 - lr * (decay[i] ? wd : 0)) - lr * multiplier * (m[i] / bias1) / denominator;
            largest = Math.Max(largest, Math.Abs(u[i]));
            conditioning?.Add(i, lr * multiplier, denominator);
        }
        conditioning?.Step(largest, lr * multiplier);
    }

    /// <summary>
    /// How far fp32 rounding can move each parameter of an AdamW chain, for comparing it with a double reference.
    /// Adam's direction m̂/(√v̂ + ε) is well conditioned where √v̂ is of the order of the update's entries, but where an
    /// element's update is tiny (a cancellation: λ_l G + (λ_g − λ_l) G_glob ≈ 0, a g + b g_s + c d ≈ 0) an absolute fp32
    /// error δ of the update, a few fp32 ulps of its largest entries, moves the direction by δ/(√v̂ + ε), up to O(1) at
    /// √v̂ ~ ε. So element i may be off by 2e-6·|p_i| (p's own rounding over a few steps) + 5e-6·Σ lr_t s_t (the
    /// direction's rounding) + 2e-6·Σ lr_t s_t·max_{τ≤t}|u_τ|/(√v̂_{t,i} + ε) (the update's rounding through Adam's
    /// denominator, ~16 ulps of its largest entry).
    /// </summary>
    public sealed class AdamConditioning(int count)
    {
        private readonly double[] _inverse = new double[count];
        private readonly double[] _pending = new double[count];
        private double _lrSum, _largest;

        internal void Add(int i, double lr, double denominator) => _pending[i] = lr / denominator;

        internal void Step(double largestUpdate, double lr)
        {
            _largest = Math.Max(_largest, largestUpdate);
            for (int i = 0; i < _inverse.Length; i++)
            {
                _inverse[i] += _pending[i] * _largest;
                _pending[i] = 0;
            }
            _lrSum += lr;
        }

        /// <summary>The allowed |p_device − p_reference| of every element.</summary>
        public double[] Tolerance(double[] p) => p.Select((x, i) => 2e-6 * Math.Abs(x) + 5e-6 * _lrSum + 2e-6 * _inverse[i]).ToArray();
    }

    /// <summary>PyTorch's clip_grad_norm_ coefficient min(1, max/(||g|| + 1e-6)), 1 without a clip.</summary>
    public static double ClipCoefficient(double[] g, double? maxNorm) =>
        maxNorm is { } max ? Math.Min(1, max / (Norm(g) + 1e-6)) : 1;
}
