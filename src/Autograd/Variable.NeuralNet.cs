using Engine.Kernels.Fusion;
using Engine.Tensors;

namespace Engine.Autograd;

/// <summary>Softmax, LayerNorm, embedding lookup and cross-entropy, each with its backward rule (as llm.c's pairs).</summary>
public sealed partial class Variable
{
    /// <summary>Softmax over the last axis; dx = y·(g − Σ g·y).</summary>
    public Variable Softmax()
    {
        var y = Value.Softmax();
        return GradientTape.Record("Softmax", y, [this], g =>
        {
            using var gy = g * y;
            using var dot = gy.Sum(-1, keepDim: true);
            return [Tensor.Map(SoftmaxGrad, "SoftmaxBackward", [], g, y, dot)];
        });
    }

    /// <summary>Log-softmax over the last axis; dx = g − exp(y)·Σ g.</summary>
    public Variable LogSoftmax()
    {
        var y = Value.LogSoftmax();
        return GradientTape.Record("LogSoftmax", y, [this], g =>
        {
            using var total = g.Sum(-1, keepDim: true);
            return [Tensor.Map(LogSoftmaxGrad, "LogSoftmaxBackward", [], g, y, total)];
        });
    }

    /// <summary>
    /// LayerNorm over the last axis with affine <paramref name="gamma"/>, <paramref name="beta"/> [D]. The backward
    /// pass reuses the forward's per-row mean and rstd: with x̂ = (x − mean)·rstd and ĝ = g·γ,
    /// dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), dγ = Σ_rows g·x̂, dβ = Σ_rows g.
    /// </summary>
    public static Variable LayerNorm(Variable x, Variable gamma, Variable beta, float eps = 1e-5f)
    {
        var input = x.Value;
        var scale = gamma.Value;
        var result = Tensor.LayerNorm(input, scale, beta.Value, eps);
        var mean = result.Mean;
        var rstd = result.Rstd;
        return GradientTape.Record("LayerNorm", result.Output, [x, gamma, beta], g =>
        {
            int dim = input.Size(-1);
            var rowShape = input.Shape.ToArray();
            rowShape[^1] = 1;
            using var meanKept = mean.Reshape(rowShape);
            using var rstdKept = rstd.Reshape(rowShape);
            using var normalized = Tensor.Map(Normalize, "LayerNormBackward", [], input, meanKept, rstdKept);
            Tensor? dx = null, dGamma = null, dBeta = null;
            if (x.RequiresGrad)
            {
                using var gHat = g * scale;
                using var gHatMean = gHat.Mean(-1, keepDim: true);
                using var product = gHat * normalized;
                using var productMean = product.Mean(-1, keepDim: true);
                dx = Tensor.Map(LayerNormInputGrad, "LayerNormBackward", [], gHat, gHatMean, normalized, productMean, rstdKept);
            }
            if (gamma.RequiresGrad)
            {
                using var product = g * normalized;
                using var rows = product.Reshape(-1, dim);
                dGamma = rows.Sum(0);
            }
            if (beta.RequiresGrad)
            {
                using var rows = g.Reshape(-1, dim);
                dBeta = rows.Sum(0);
            }
            return [dx, dGamma, dBeta];
        }, mean, rstd);
    }

    /// <summary>Embedding lookup: rows of <paramref name="table"/> [V, D] at Int32 <paramref name="indices"/>. d table = scatter-add of g.</summary>
    public static Variable Gather(Variable table, Tensor indices)
    {
        var weights = table.Value;
        var output = Tensor.Gather(weights, indices);
        return GradientTape.Record("Gather", output, [table], g =>
        {
            var dTable = Tensor.Zeros(weights.Device, weights.Shape.ToArray());
            Tensor.ScatterAdd(dTable, indices, g);
            return [dTable];
        });
    }

    /// <summary>Cross-entropy of each row of <paramref name="logits"/> [N, C] against Int32 <paramref name="targets"/> [N]; d logits = (softmax − onehot)·g.</summary>
    public static Variable CrossEntropyPerRow(Variable logits, Tensor targets)
    {
        var output = Tensor.CrossEntropyPerRow(logits.Value, targets);
        return GradientTape.Record("CrossEntropyPerRow", output, [logits], g =>
        {
            using var perRow = g.Reshape(-1, 1);
            return [CrossEntropyGradient(logits.Value, targets, perRow, 1f)];
        });
    }

    /// <summary>Mean cross-entropy over the rows (rank-0 result); d logits = (softmax − onehot)·g/N.</summary>
    public static Variable CrossEntropy(Variable logits, Tensor targets)
    {
        var output = Tensor.CrossEntropy(logits.Value, targets);
        return GradientTape.Record("CrossEntropy", output, [logits],
            g => [CrossEntropyGradient(logits.Value, targets, g, 1f / Math.Max(1, logits.Value.Size(0)))]);
    }

    /// <summary>
    /// (softmax(logits) − onehot(targets)) · g · scale, all on the device: the targets become floats through a
    /// gather from the column table [0, 1, .., C−1], then a fused pass compares them with each column index.
    /// </summary>
    private static Tensor CrossEntropyGradient(Tensor logits, Tensor targets, Tensor g, float scale)
    {
        int classes = logits.Size(1);
        using var probabilities = logits.Softmax();
        using var columns = Tensor.Arange(logits.Device, classes);
        using var columnTable = columns.Reshape(classes, 1);
        using var targetColumns = Tensor.Gather(columnTable, targets);
        return Tensor.Map(CrossEntropyGrad, "CrossEntropyBackward", [scale], probabilities, targetColumns, columns, g);
    }

    private static readonly FusedProgram SoftmaxGrad = Program("softmax_grad", ["g", "y", "dot"], x => x[1] * (x[0] - x[2]));
    private static readonly FusedProgram LogSoftmaxGrad = Program("log_softmax_grad", ["g", "y", "total"], x => x[0] - Fx.Exp(x[1]) * x[2]);
    private static readonly FusedProgram Normalize = Program("layer_norm_normalize", ["x", "mean", "rstd"], x => (x[0] - x[1]) * x[2]);
    private static readonly FusedProgram LayerNormInputGrad = Program("layer_norm_input_grad",
        ["g_hat", "g_hat_mean", "x_hat", "product_mean", "rstd"], x => x[4] * (x[0] - x[1] - x[2] * x[3]));

    private static readonly FusedProgram CrossEntropyGrad = BuildCrossEntropyGrad();

    /// <summary>(p − [target = column]) · g · s, with [t = c] = 1 − (t &gt; c) − (t &lt; c) on exact integer floats.</summary>
    private static FusedProgram BuildCrossEntropyGrad()
    {
        var b = new FusionBuilder("cross_entropy_grad");
        var p = b.Input("p");
        var target = b.Input("target");
        var column = b.Input("column");
        var g = b.Input("g");
        var s = b.Scalar("s");
        var oneHot = 1f - Fx.Greater(target, column) - Fx.Less(target, column);
        b.Output("out", (p - oneHot) * g * s);
        return b.Build();
    }
}
