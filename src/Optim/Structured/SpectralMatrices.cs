using Engine.Kernels.Devices;
using Engine.Tensors;

namespace Engine.Optim.Structured;

/// <summary>
/// The device matrices of SPEC-GF: Laplacian L (sparse rows, <see cref="SparseLaplacian"/>), filter F ([rows, rows]) and the
/// gradient EMA a cosine graph compares ([rows, cols]), each present only where the options need it. Either one filter's
/// own, or a batch: [count, …] tensors for a run of equal matrices, whose step is then one batched product (<see cref="At"/>
/// gives each filter its views).
/// </summary>
internal sealed record SpectralMatrices(SparseLaplacian? Laplacian, Tensor? Filter, Tensor? GradientEma) : IDisposable
{
    /// <summary>Zeroed matrices for one filter (<paramref name="count"/> null) or a batch of <paramref name="count"/>.</summary>
    public static SpectralMatrices Allocate(ComputeDevice device, int? count, int rows, int cols, SpectralOptions options)
    {
        int[] Shape(int a, int b) => count is { } c ? [c, a, b] : [a, b];
        return new(
            options.Penalty > 0 || !options.FiltersExactly(rows) ? SparseLaplacian.Allocate(device, count ?? 1, rows, options.Neighbors) : null,
            options.Rho > 0 ? Tensor.Zeros(device, Shape(rows, rows)) : null,
            options.Source == GraphSource.GradientCosine ? Tensor.Zeros(device, Shape(rows, cols)) : null);
    }

    /// <summary>Views of matrix <paramref name="index"/> of a batch (they share its storage; dispose them as usual).</summary>
    public SpectralMatrices At(int index) => new(Laplacian?.At(index),
        Filter is null ? null : DeviceMath.Item(Filter, index), GradientEma is null ? null : DeviceMath.Item(GradientEma, index));

    public void Dispose()
    {
        Laplacian?.Dispose();
        Filter?.Dispose();
        GradientEma?.Dispose();
    }
}
