using Engine.Autograd;
using Engine.Tensors;
using Xunit;
using static Engine.Tests.Autograd.GradTesting;

namespace Engine.Tests.Autograd;

public class MlpTrainingTests
{
    [Fact]
    public void TwoLayerMlpTrainedWithSgdHalvesTheLoss()
    {
        const int batch = 16, inputs = 8, hidden = 32, classes = 4, steps = 50;
        const float learningRate = 0.5f;
        using var scope = new TensorScope();
        var x = new Variable(Tensor.Normal(Cpu, 1, 0f, 1f, batch, inputs));
        var targets = Tensor.FromArray(Cpu, Enumerable.Range(0, batch).Select(i => (i * 7 + 3) % classes).ToArray(), batch);

        // Every parameter is a view into one flat buffer, every gradient a view into another (DESIGN §5).
        int[][] shapes = [[inputs, hidden], [hidden], [hidden, classes], [classes]];
        int total = shapes.Sum(s => s.Aggregate(1, (p, d) => p * d));
        var parameters = Tensor.Normal(Cpu, 2, 0f, 0.3f, total);
        var gradients = Tensor.Zeros(Cpu, total);
        var p = new Variable[shapes.Length];
        int offset = 0;
        for (int i = 0; i < shapes.Length; i++)
        {
            int n = shapes[i].Aggregate(1, (a, d) => a * d);
            p[i] = new Variable(parameters.Slice(0, offset, n).Reshape(shapes[i]), requiresGrad: true) { Grad = gradients.Slice(0, offset, n).Reshape(shapes[i]) };
            offset += n;
        }

        var losses = new List<float>();
        for (int step = 0; step < steps; step++)
        {
            using var stepScope = new TensorScope();
            foreach (var v in p) v.ZeroGrad();
            using (var tape = new GradientTape())
            {
                var h = (Variable.MatMul(x, p[0]) + p[1]).Gelu();
                var logits = Variable.MatMul(h, p[2]) + p[3];
                var loss = Variable.CrossEntropy(logits, targets);
                losses.Add(loss.Value.Item());
                loss.Backward();
            }
            // Plain SGD on the flat buffers: parameters += -lr · gradients, one pass.
            using var update = gradients * -learningRate;
            InPlace.AddInto(parameters, update);
        }
        Assert.True(losses[^1] < 0.5f * losses[0], $"loss went from {losses[0]} to {losses[^1]}: {string.Join(", ", losses.Select(l => l.ToString("F3")))}");
    }
}
