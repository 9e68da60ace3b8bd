using Engine.Kernels.Fusion;
using Engine.Tensors;

namespace Engine.Autograd;

/// <summary>
/// Reductions over one axis (keepDim keeps it as size 1) or over all elements (rank-0 result), with their
/// derivative rules: the output gradient is broadcast back over the reduced axis and scaled as the op needs.
/// </summary>
public sealed partial class Variable
{
    public Variable Sum(int axis, bool keepDim = false) =>
        Reduction("Sum", Value.Sum(axis, keepDim), axis, (g, _) => GradientShapes.BroadcastLike(g, Value));

    public Variable Sum() => Reduction("Sum", Value.Sum(), null, (g, _) => GradientShapes.BroadcastLike(g, Value));

    public Variable Mean(int axis, bool keepDim = false) =>
        Reduction("Mean", Value.Mean(axis, keepDim), axis,
                  (g, _) => Tensor.Map(ScaledBroadcast, "MeanBackward", [1f / Value.Size(axis)], g, Value));

    public Variable Mean() =>
        Reduction("Mean", Value.Mean(), null, (g, _) => Tensor.Map(ScaledBroadcast, "MeanBackward", [1f / Value.Count], g, Value));

    /// <summary>Maximum along an axis. Tied maxima share the gradient evenly (as PyTorch's amax).</summary>
    public Variable Max(int axis, bool keepDim = false) =>
        Reduction("Max", Value.Max(axis, keepDim), axis, (g, max) => MaxGradient(g, max, axis));

    /// <summary>Largest element. Tied maxima share the gradient evenly (as PyTorch's amax).</summary>
    public Variable Max() => Reduction("Max", Value.Max(), null, (g, max) => MaxGradient(g, max, null));

    /// <summary>Σx² along an axis; d/dx = 2x.</summary>
    public Variable SumOfSquares(int axis, bool keepDim = false) =>
        Reduction("SumOfSquares", Value.SumOfSquares(axis, keepDim), axis,
                  (g, _) => Tensor.Map(SumOfSquaresGrad, "SumOfSquaresBackward", [], g, Value));

    public Variable SumOfSquares() =>
        Reduction("SumOfSquares", Value.SumOfSquares(), null,
                  (g, _) => Tensor.Map(SumOfSquaresGrad, "SumOfSquaresBackward", [], g, Value));

    /// <summary>L2 norm along an axis; d/dx = x/‖x‖, taken as 0 where the norm is 0 (as PyTorch).</summary>
    public Variable Norm(int axis, bool keepDim = false) =>
        Reduction("Norm", Value.Norm(axis, keepDim), axis, (g, norm) => Tensor.Map(NormGrad, "NormBackward", [], g, Value, norm));

    /// <summary>L2 norm of all elements; d/dx = x/‖x‖, taken as 0 where the norm is 0 (as PyTorch).</summary>
    public Variable Norm() =>
        Reduction("Norm", Value.Norm(), null, (g, norm) => Tensor.Map(NormGrad, "NormBackward", [], g, Value, norm));

    /// <summary>
    /// Records a reduction. The rule receives the output gradient and the output, both reshaped so they
    /// broadcast against the input (the reduced axis kept as size 1), and returns the input's gradient.
    /// </summary>
    private Variable Reduction(string op, Tensor output, int? axis, Func<Tensor, Tensor, Tensor> gradient)
    {
        var input = Value;
        return GradientTape.Record(op, output, [this], g =>
        {
            var keptShape = KeptShape(input, axis);
            using var gKept = g.Reshape(keptShape);
            using var outKept = output.Reshape(keptShape);
            return [gradient(gKept, outKept)];
        });
    }

    /// <summary>The input's shape with the reduced axis (every axis when <paramref name="axis"/> is null) set to 1.</summary>
    private static int[] KeptShape(Tensor input, int? axis)
    {
        var shape = input.Shape.ToArray();
        if (axis is null) return shape.Select(_ => 1).ToArray();
        int a = axis.Value < 0 ? axis.Value + shape.Length : axis.Value;
        shape[a] = 1;
        return shape;
    }

    /// <summary>g · [x = max] / (number of elements equal to the max), over the reduced axis.</summary>
    private Tensor MaxGradient(Tensor g, Tensor max, int? axis)
    {
        using var isMax = Tensor.Map(EqualsMax, "MaxBackward", [], Value, max);
        using var ties = axis is { } a ? isMax.Sum(a, keepDim: true) : isMax.Sum();
        return Tensor.Map(ShareAmongTies, "MaxBackward", [], g, isMax, ties);
    }

    private static readonly FusedProgram ScaledBroadcast = BuildScaledBroadcast();
    private static readonly FusedProgram SumOfSquaresGrad = Program("sum_of_squares_grad", ["g", "x"], x => 2f * x[0] * x[1]);
    private static readonly FusedProgram NormGrad = Program("norm_grad", ["g", "x", "norm"],
        x => Fx.Where(Fx.Greater(x[2], 0f), x[0] * x[1] / x[2], 0f));

    /// <summary>1 where x equals the max (x is never above it), else 0.</summary>
    private static readonly FusedProgram EqualsMax = Program("equals_max", ["x", "max"], x => 1f - Fx.Less(x[0], x[1]));

    private static readonly FusedProgram ShareAmongTies = Program("share_among_ties", ["g", "is_max", "ties"], x => x[0] * x[1] / x[2]);

    /// <summary>out = g · s over the index space of x (g broadcast).</summary>
    private static FusedProgram BuildScaledBroadcast()
    {
        var b = new FusionBuilder("scaled_broadcast");
        var g = b.Input("g");
        b.Input("like");
        b.Output("out", g * b.Scalar("s"));
        return b.Build();
    }
}
