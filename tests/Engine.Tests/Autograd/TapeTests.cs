using Engine.Autograd;
using Engine.Tensors;
using Xunit;
using static Engine.Tests.Autograd.GradTesting;

namespace Engine.Tests.Autograd;

public class TapeTests
{
    private static Variable Leaf(float[] values, params int[] shape) =>
        new(Tensor.FromArray(Cpu, values, shape), requiresGrad: true);

    /// <summary>loss = Σ tanh(x·w) with x [2,3], w [3,2]; returns the gradients of x and w from one fresh pass.</summary>
    private static (float[] X, float[] W) ReferenceGradients(float[] x, float[] w)
    {
        using var scope = new TensorScope();
        using var tape = new GradientTape();
        var vx = Leaf(x, 2, 3);
        var vw = Leaf(w, 3, 2);
        Variable.MatMul(vx, vw).Tanh().Sum().Backward();
        return (vx.Grad!.ToArray(), vw.Grad!.ToArray());
    }

    private static readonly float[] X = [0.5f, -1f, 0.25f, 2f, 0.1f, -0.7f];
    private static readonly float[] W = [1f, -0.5f, 0.3f, 0.8f, -1.2f, 0.4f];

    [Fact]
    public void TwoBackwardPassesAccumulate()
    {
        var (gx, gw) = ReferenceGradients(X, W);
        using var scope = new TensorScope();
        using var tape = new GradientTape();
        var x = Leaf(X, 2, 3);
        var w = Leaf(W, 3, 2);
        var loss = Variable.MatMul(x, w).Tanh().Sum();
        loss.Backward();
        loss.Backward();
        AssertClose(gx.Select(v => 2 * v).ToArray(), x.Grad!.ToArray());
        AssertClose(gw.Select(v => 2 * v).ToArray(), w.Grad!.ToArray());

        // A second forward pass on a new tape adds a third share.
        using (var second = new GradientTape())
            Variable.MatMul(x, w).Tanh().Sum().Backward();
        AssertClose(gx.Select(v => 3 * v).ToArray(), x.Grad!.ToArray());
    }

    [Fact]
    public void GradientsLandInPlaceInViewsOfOneFlatBuffer()
    {
        var (gx, gw) = ReferenceGradients(X, W);
        using var scope = new TensorScope();
        // Layout: [sentinel 2 | x grad 6 | sentinel 1 | w grad 6 | sentinel 1].
        var flat = Tensor.FromArray(Cpu, Enumerable.Repeat(100f, 16).ToArray(), 16);
        var x = Leaf(X, 2, 3);
        var w = Leaf(W, 3, 2);
        x.Grad = flat.Slice(0, 2, 6).Reshape(2, 3);
        w.Grad = flat.Slice(0, 9, 6).Reshape(3, 2);
        x.ZeroGrad();
        w.ZeroGrad();
        using (var tape = new GradientTape())
            Variable.MatMul(x, w).Tanh().Sum().Backward();
        using (var tape = new GradientTape())
            Variable.MatMul(x, w).Tanh().Sum().Backward();

        var all = flat.ToArray();
        Assert.Equal([100f, 100f], all[..2]);
        Assert.Equal(100f, all[8]);
        Assert.Equal(100f, all[15]);
        AssertClose(gx.Select(v => 2 * v).ToArray(), all[2..8]);
        AssertClose(gw.Select(v => 2 * v).ToArray(), all[9..15]);

        x.ZeroGrad();
        Assert.Equal(new float[6], flat.ToArray()[2..8]);
        AssertClose(gw.Select(v => 2 * v).ToArray(), flat.ToArray()[9..15]);
    }

    [Fact]
    public void AnAttachedGradientMustMatchTheVariable()
    {
        using var scope = new TensorScope();
        var x = Leaf(X, 2, 3);
        var wrongShape = Assert.Throws<ArgumentException>(() => x.Grad = Tensor.Zeros(Cpu, 3, 2));
        Assert.Contains("[3, 2]", wrongShape.Message);
        var strided = Assert.Throws<ArgumentException>(() => x.Grad = Tensor.Zeros(Cpu, 3, 2).Transpose());
        Assert.Contains("contiguous", strided.Message);
    }

    [Fact]
    public void NoGradScopeRecordsNothing()
    {
        using var scope = new TensorScope();
        using var tape = new GradientTape();
        var x = Leaf(X, 2, 3);
        Variable y;
        using (new NoGradScope())
        {
            y = (x * x).Exp().Sum();
            Assert.False(GradientTape.IsRecording);
        }
        Assert.Equal(0, tape.Count);
        Assert.False(y.RequiresGrad);
        Assert.True(GradientTape.IsRecording);
        var z = (x * x).Sum();
        Assert.Equal(["Mul", "Sum"], tape.Ops);
        Assert.True(z.RequiresGrad);
    }

    [Fact]
    public void OpsOnVariablesThatNeedNoGradientRecordNothing()
    {
        using var scope = new TensorScope();
        using var tape = new GradientTape();
        var constant = new Variable(Tensor.FromArray(Cpu, X, 2, 3));
        var y = (constant * 2f).Sum();
        Assert.Equal(0, tape.Count);
        Assert.False(y.RequiresGrad);
        var error = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("does not require a gradient", error.Message);
    }

    [Fact]
    public void DetachBlocksGradientFlow()
    {
        using var scope = new TensorScope();
        using var tape = new GradientTape();
        var x = Leaf(X, 2, 3);
        var detached = x.Detach();
        Assert.False(detached.RequiresGrad);
        Assert.Equal(X, detached.Value.ToArray());
        // d/dx Σ stop(x)·x = x, not 2x.
        (detached * x).Sum().Backward();
        AssertClose(X.Select(v => (double)v).ToArray(), x.Grad!.ToArray());
        Assert.Null(detached.Grad);
    }

    [Fact]
    public void BackwardOfANonScalarThrowsAClearMessage()
    {
        using var scope = new TensorScope();
        using var tape = new GradientTape();
        var x = Leaf(X, 2, 3);
        var y = x.Exp();
        var error = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("scalar", error.Message);
        Assert.Contains("[2, 3]", error.Message);

        // An explicit output gradient makes it well defined.
        y.Backward(Tensor.Ones(Cpu, 2, 3));
        AssertClose(X.Select(v => Math.Exp(v)).ToArray(), x.Grad!.ToArray());
    }

    [Fact]
    public void BackwardWithoutATapeThrows()
    {
        using var scope = new TensorScope();
        var x = Leaf(X, 2, 3);
        var loss = x.Sum();
        var error = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("GradientTape", error.Message);
    }

    [Fact]
    public void UsingADisposedVariableThrows()
    {
        using var scope = new TensorScope();
        var x = Leaf(X, 2, 3);
        x.Name = "weights";
        x.Dispose();
        var error = Assert.Throws<ObjectDisposedException>(() => x.Exp());
        Assert.Contains("'weights'", error.Message);
        Assert.Throws<ObjectDisposedException>(() => x.Grad);
    }

    [Fact]
    public void BackwardThroughATensorDisposedAfterTheForwardPassThrows()
    {
        using var scope = new TensorScope();
        using var tape = new GradientTape();
        var x = Leaf(X, 2, 3);
        var w = Leaf(W, 3, 2);
        var loss = Variable.MatMul(x, w).Sum();
        w.Dispose();
        Assert.Throws<ObjectDisposedException>(() => loss.Backward());
    }

    [Fact]
    public void BackwardAfterTheTapeIsDisposedThrows()
    {
        using var scope = new TensorScope();
        var x = Leaf(X, 2, 3);
        Variable loss;
        using (new GradientTape()) loss = x.Exp().Sum();
        var error = Assert.Throws<ObjectDisposedException>(() => loss.Backward());
        Assert.Contains("tape", error.Message);
    }

    [Fact]
    public void GradientsOfIntermediatesThatFanOutAreSummed()
    {
        using var scope = new TensorScope();
        using var tape = new GradientTape();
        var x = Leaf([0.3f, -0.6f], 2);
        var h = x.Tanh();
        // loss = Σ (h·h + 3h): dL/dh = 2h + 3, dL/dx = (2h + 3)(1 − h²).
        (h * h + h * 3f).Sum().Backward();
        var expected = new[] { 0.3, -0.6 }.Select(v => (2 * Math.Tanh(v) + 3) * (1 - Math.Tanh(v) * Math.Tanh(v))).ToArray();
        AssertClose(expected, x.Grad!.ToArray());
    }

    private static void AssertClose(double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 + 1e-5 * Math.Abs(expected[i]),
                $"element {i}: expected {expected[i]}, got {actual[i]}");
    }

    private static void AssertClose(float[] expected, float[] actual) =>
        AssertClose(expected.Select(v => (double)v).ToArray(), actual);
}
