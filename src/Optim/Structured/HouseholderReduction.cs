using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Lanes = System.Numerics.Vector<double>;
using SimdVector = System.Numerics.Vector;

namespace Engine.Optim.Structured;

/// <summary>
/// The first half of <see cref="SymmetricEigen"/>: A = Q T Qᵀ with T tridiagonal, by Householder reflections (tred2's
/// reduction), on a row-major copy of A that the reduction overwrites; then Q accumulated from the reflectors, as the
/// starting rows the QL sweeps rotate into eigenvectors.
/// </summary>
internal static class HouseholderReduction
{
    /// <summary>
    /// Householder reduction: step k maps row k's entries right of the diagonal onto a multiple of e₁ with
    /// H = I − β v vᵀ, applied to the trailing block from both sides as B ← B − v wᵀ − w vᵀ (w = p − (β/2)(pᵀv) v, p = β B v).
    /// v overwrites row k's entries past the diagonal; the returned array holds each step's β (0: no reflection).
    /// </summary>
    public static double[] Tridiagonalize(double[] a, int n, double[] diagonal, double[] offDiagonal)
    {
        var betas = new double[n];
        var p = new double[n];
        for (int k = 0; k < n - 2; k++)
        {
            int start = k + 1, length = n - start;
            diagonal[k] = a[k * n + k];
            var v = a.AsSpan(k * n + start, length);
            double tailSquared = TensorPrimitives.Dot(v[1..], v[1..]);
            if (tailSquared == 0)
            {
                offDiagonal[k] = v[0];   // already tridiagonal in this row
                continue;
            }
            double norm = Math.Sqrt(v[0] * v[0] + tailSquared);
            double alpha = v[0] >= 0 ? -norm : norm;
            v[0] -= alpha;
            double beta = 2 / (v[0] * v[0] + tailSquared);
            betas[k] = beta;
            offDiagonal[k] = alpha;
            int vAt = k * n + start;
            SymmetricEigen.ForRows(start, n, length, i => p[i] = beta * TensorPrimitives.Dot(a.AsSpan(i * n + start, length), a.AsSpan(vAt, length)));
            var w = p.AsSpan(start, length);
            double half = beta / 2 * TensorPrimitives.Dot(w, v);
            TensorPrimitives.MultiplyAdd(v, -half, w, w);   // p becomes w
            SymmetricEigen.ForRows(start, n, length, i =>
                SubtractRankTwo(a.AsSpan(i * n + start, length), a[k * n + i], p[i], a.AsSpan(vAt, length), p.AsSpan(start, length)));
        }
        if (n >= 2)
        {
            diagonal[n - 2] = a[(n - 2) * n + n - 2];
            offDiagonal[n - 2] = a[(n - 2) * n + n - 1];
        }
        diagonal[n - 1] = a[n * n - 1];
        return betas;
    }

    /// <summary>row −= vᵢ w + wᵢ v.</summary>
    private static void SubtractRankTwo(Span<double> row, double vi, double wi, ReadOnlySpan<double> v, ReadOnlySpan<double> w)
    {
        int j = 0;
        if (SimdVector.IsHardwareAccelerated)
        {
            var vScale = new Lanes(vi);
            var wScale = new Lanes(wi);
            for (; j <= row.Length - Lanes.Count; j += Lanes.Count)
            {
                var r = new Lanes(row[j..]);
                r = SimdVector.FusedMultiplyAdd(-vScale, new Lanes(w[j..]), r);
                r = SimdVector.FusedMultiplyAdd(-wScale, new Lanes(v[j..]), r);
                r.CopyTo(row[j..]);
            }
        }
        for (; j < row.Length; j++) row[j] = Math.FusedMultiplyAdd(-wi, v[j], Math.FusedMultiplyAdd(-vi, w[j], row[j]));
    }

    /// <summary>
    /// Qᵀ = H_{n−3} ⋯ H₀ as rows (row i of the result is column i of Q), accumulated backwards (Q ← H_k Q), so that each
    /// reflector touches only the trailing block it acts on. A column of Q meets the reflectors independently of the other
    /// columns, so they run a block of columns at a time: that block of every row stays in L2 while all reflectors pass.
    /// </summary>
    public static double[] AccumulateReflectors(double[] a, double[] betas, int n)
    {
        var q = new double[n * n];
        for (int i = 0; i < n; i++) q[i * n + i] = 1;
        ColumnPanel.ForEach(q, n, (long)n * n * n, panel =>
        {
            int from = panel.From, width = panel.Width;
            for (int k = n - 3; k >= 0; k--)
            {
                // Q_J ← Q_J − β v (vᵀ Q_J) over rows J = k + 1.. and this block's columns from k + 1 on (the rest are 0)
                int start = k + 1, skip = Math.Max(0, start - from);
                if (betas[k] == 0 || skip >= width) continue;
                var v = a.AsSpan(k * n + start, n - start);
                int j = PanelLanes512.IsSupported ? ReflectStrips<PanelLanes512, Vector512<double>>(panel.Values, width, skip, start, v, betas[k])
                      : PanelLanes256.IsSupported ? ReflectStrips<PanelLanes256, Vector256<double>>(panel.Values, width, skip, start, v, betas[k])
                      : skip;
                for (; j < width; j++) ReflectColumn(panel.Values, width, j, start, v, betas[k]);
            }
        });
        // Q's columns are Qᵀ's rows.
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
                (q[i * n + j], q[j * n + i]) = (q[j * n + i], q[i * n + j]);
        return q;
    }

    /// <summary>
    /// x ← x − β v (vᵀ x) for the columns x of each strip of four vectors of a panel from <paramref name="column"/> on, rows
    /// <paramref name="start"/>.. (v's entries): a strip's four sums stay in registers across both passes. Returns the
    /// first column left over.
    /// </summary>
    private static int ReflectStrips<TLanes, TVector>(double[] panel, int width, int column, int start, ReadOnlySpan<double> v, double beta)
        where TLanes : struct, IPanelLanes<TVector>
        where TVector : struct
    {
        ref double origin = ref MemoryMarshal.GetArrayDataReference(panel);
        nuint lanes = (nuint)TLanes.Count;
        for (; column + 4 * TLanes.Count <= width; column += 4 * TLanes.Count)
        {
            TVector r0 = default, r1 = default, r2 = default, r3 = default;
            for (int i = 0; i < v.Length; i++)
            {
                nuint at = (nuint)((start + i) * width + column);
                var vi = TLanes.Broadcast(v[i]);
                r0 = TLanes.MultiplyAdd(vi, TLanes.Load(ref origin, at), r0);
                r1 = TLanes.MultiplyAdd(vi, TLanes.Load(ref origin, at + lanes), r1);
                r2 = TLanes.MultiplyAdd(vi, TLanes.Load(ref origin, at + 2 * lanes), r2);
                r3 = TLanes.MultiplyAdd(vi, TLanes.Load(ref origin, at + 3 * lanes), r3);
            }
            for (int i = 0; i < v.Length; i++)
            {
                nuint at = (nuint)((start + i) * width + column);
                var scale = TLanes.Broadcast(-beta * v[i]);
                TLanes.Store(TLanes.MultiplyAdd(scale, r0, TLanes.Load(ref origin, at)), ref origin, at);
                TLanes.Store(TLanes.MultiplyAdd(scale, r1, TLanes.Load(ref origin, at + lanes)), ref origin, at + lanes);
                TLanes.Store(TLanes.MultiplyAdd(scale, r2, TLanes.Load(ref origin, at + 2 * lanes)), ref origin, at + 2 * lanes);
                TLanes.Store(TLanes.MultiplyAdd(scale, r3, TLanes.Load(ref origin, at + 3 * lanes)), ref origin, at + 3 * lanes);
            }
        }
        return column;
    }

    /// <summary>The same for one column, with the same fused operations.</summary>
    private static void ReflectColumn(double[] panel, int stride, int column, int start, ReadOnlySpan<double> v, double beta)
    {
        double r = 0;
        for (int i = 0; i < v.Length; i++) r = Math.FusedMultiplyAdd(v[i], panel[(start + i) * stride + column], r);
        for (int i = 0; i < v.Length; i++)
        {
            ref double x = ref panel[(start + i) * stride + column];
            x = Math.FusedMultiplyAdd(-beta * v[i], r, x);
        }
    }
}
