using Engine.Kernels.Devices;

namespace Engine.Tensors;

/// <summary>The fused neural-network kernels: softmax, LayerNorm, embeddings, cross-entropy.</summary>
public sealed partial class Tensor
{
    /// <summary>Softmax over the last axis.</summary>
    public Tensor Softmax() => SoftmaxLastAxis(log: false);

    /// <summary>Log-softmax over the last axis.</summary>
    public Tensor LogSoftmax() => SoftmaxLastAxis(log: true);

    private Tensor SoftmaxLastAxis(bool log)
    {
        string op = log ? "LogSoftmax" : "Softmax";
        ThrowIfDisposed();
        RequireDType(DType.Float32, op);
        if (Rank == 0) throw new ArgumentException($"{op}: needs at least one axis, got a rank-0 tensor");
        var result = AllocateForOutput(Device, _shape);
        if (Count == 0) return result;
        using var dense = Contiguous();
        int cols = _shape[^1];
        Device.Softmax(dense.DataSlice, result.DataSlice, Count / cols, cols, log);
        return result;
    }

    /// <summary>
    /// LayerNorm over the last axis: (x - mean) * rstd * gamma + beta. Also returns mean and rstd per row
    /// (shape of x without its last axis), which the backward pass reuses.
    /// </summary>
    public static LayerNormResult LayerNorm(Tensor x, Tensor gamma, Tensor beta, float eps = 1e-5f)
    {
        const string op = "LayerNorm";
        x.ThrowIfDisposed(); gamma.ThrowIfDisposed(); beta.ThrowIfDisposed();
        x.RequireDType(DType.Float32, op); gamma.RequireDType(DType.Float32, op); beta.RequireDType(DType.Float32, op);
        if (x.Rank == 0) throw new ArgumentException($"{op}: needs at least one axis, got a rank-0 tensor");
        x.RequireSameDevice(gamma, op); x.RequireSameDevice(beta, op);
        int cols = x._shape[^1];
        if (gamma.Rank != 1 || gamma._shape[0] != cols || beta.Rank != 1 || beta._shape[0] != cols)
            throw new ArgumentException(
                $"{op}: gamma {ShapeMath.Format(gamma._shape)} and beta {ShapeMath.Format(beta._shape)} must both be [{cols}] for input {ShapeMath.Format(x._shape)}");
        var rowShape = x._shape[..^1];
        // With no columns the rows' mean and rstd are not computed: they stay zero.
        var y = AllocateForOutput(x.Device, x._shape);
        var mean = cols == 0 ? Allocate(x.Device, rowShape) : AllocateForOutput(x.Device, rowShape);
        var rstd = cols == 0 ? Allocate(x.Device, rowShape) : AllocateForOutput(x.Device, rowShape);
        long rows = ShapeMath.Count(rowShape);
        if (rows > 0 && cols > 0)
        {
            using var dx = x.Contiguous();
            using var dg = gamma.Contiguous();
            using var db = beta.Contiguous();
            x.Device.LayerNorm(dx.DataSlice, dg.DataSlice, db.DataSlice, y.DataSlice, mean.DataSlice, rstd.DataSlice, rows, cols, eps);
        }
        return new LayerNormResult(y, mean, rstd);
    }

    /// <summary>Rows of <paramref name="table"/> [V, D] picked by Int32 <paramref name="indices"/>: shape indices.shape + [D].</summary>
    public static Tensor Gather(Tensor table, Tensor indices)
    {
        const string op = "Gather";
        var (dim, count) = CheckEmbedding(table, indices, op);
        var result = AllocateForOutput(table.Device, indices.ShapeArray.Append(dim).ToArray());
        if (count == 0 || dim == 0) return result;
        using var dt = table.Contiguous();
        using var di = indices.Contiguous();
        table.Device.Gather(dt.DataSlice, di.DataSlice, result.DataSlice, count, dim);
        return result;
    }

    /// <summary>table[indices[i], :] += source[i, :] in place; <paramref name="table"/> must be dense. Deterministic.</summary>
    public static void ScatterAdd(Tensor table, Tensor indices, Tensor source)
    {
        const string op = "ScatterAdd";
        var (dim, count) = CheckEmbedding(table, indices, op);
        source.ThrowIfDisposed();
        source.RequireDType(DType.Float32, op);
        table.RequireSameDevice(source, op);
        var expected = indices.ShapeArray.Append(dim).ToArray();
        if (!ShapeMath.SameShape(source.ShapeArray, expected))
            throw new ArgumentException($"{op}: source has shape {ShapeMath.Format(source._shape)}, expected {ShapeMath.Format(expected)} (indices shape + [{dim}])");
        if (!table.IsContiguous) throw new ArgumentException($"{op}: the table must be contiguous (it is written in place)");
        if (count == 0 || dim == 0) return;
        using var ds = source.Contiguous();
        using var di = indices.Contiguous();
        table.Device.ScatterAdd(ds.DataSlice, di.DataSlice, table.DataSlice, count, dim);
    }

    private static (int Dim, long Count) CheckEmbedding(Tensor table, Tensor indices, string op)
    {
        table.ThrowIfDisposed(); indices.ThrowIfDisposed();
        table.RequireDType(DType.Float32, op);
        indices.RequireDType(DType.Int32, op);
        table.RequireSameDevice(indices, op);
        if (table.Rank != 2) throw new ArgumentException($"{op}: table must be 2-D [rows, dim], got {ShapeMath.Format(table._shape)}");
        return (table._shape[1], indices.Count);
    }

    /// <summary>Per-row cross-entropy of <paramref name="logits"/> [N, C] against Int32 <paramref name="targets"/> [N].</summary>
    public static Tensor CrossEntropyPerRow(Tensor logits, Tensor targets)
    {
        const string op = "CrossEntropy";
        logits.ThrowIfDisposed(); targets.ThrowIfDisposed();
        logits.RequireDType(DType.Float32, op);
        targets.RequireDType(DType.Int32, op);
        logits.RequireSameDevice(targets, op);
        if (logits.Rank != 2 || targets.Rank != 1 || targets._shape[0] != logits._shape[0])
            throw new ArgumentException(
                $"{op}: logits must be [N, C] and targets [N]; got {ShapeMath.Format(logits._shape)} and {ShapeMath.Format(targets._shape)}");
        var losses = AllocateForOutput(logits.Device, [logits._shape[0]]);
        if (logits._shape[0] == 0) return losses;
        if (logits._shape[1] == 0) throw new ArgumentException($"{op}: logits {ShapeMath.Format(logits._shape)} have no classes");
        using var dl = logits.Contiguous();
        using var dt = targets.Contiguous();
        logits.Device.CrossEntropy(dl.DataSlice, dt.DataSlice, losses.DataSlice, logits._shape[0], logits._shape[1]);
        return losses;
    }

    /// <summary>Mean cross-entropy (rank-0 tensor).</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets)
    {
        using var losses = CrossEntropyPerRow(logits, targets);
        return losses.Mean();
    }
}

/// <summary>Output of <see cref="Tensor.LayerNorm"/>: the normalized tensor and the per-row statistics.</summary>
public sealed record LayerNormResult(Tensor Output, Tensor Mean, Tensor Rstd) : IDisposable
{
    public void Dispose()
    {
        Output.Dispose();
        Mean.Dispose();
        Rstd.Dispose();
    }
}
