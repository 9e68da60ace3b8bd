using Engine.Autograd;
using Engine.Tensors;
using FsCheck.Fluent;
using Xunit;
using static Engine.Tests.Autograd.GradTesting;

namespace Engine.Tests.Autograd;

public class NeuralNetGradTests
{
    private static readonly GradCase[] SoftmaxCases =
    [
        new("softmax", [Domain.Any], v => v[0].Softmax()),
        new("log-softmax", [Domain.Any], v => v[0].LogSoftmax()),
    ];

    [Fact]
    public void SoftmaxAndLogSoftmaxPassGradCheck() =>
        ForAll(from shape in Shape() from seed in Seed select (shape, seed), c => Check(SoftmaxCases, c.seed, c.shape));

    [Fact]
    public void LayerNormPassesGradCheckForInputGammaAndBeta() =>
        ForAll(from shape in Shape() from seed in Seed select (shape, seed), c =>
        {
            var layerNorm = new GradCase("layernorm", [Domain.SpreadRows, Domain.Any], v => Variable.LayerNorm(v[0], v[1], v[2]));
            Check([layerNorm], c.seed, c.shape, [c.shape[^1]], [c.shape[^1]]);
        });

    [Fact]
    public void GatherPassesGradCheckWithRepeatedIndices() =>
        ForAll(from rows in Gen.Choose(1, 6) from dim in Gen.Choose(1, 5) from indexShape in Shape(1, 2, 4) from seed in Seed
               select (rows, dim, indexShape, seed), c =>
        {
            var rng = new Random(c.seed);
            var indices = Enumerable.Range(0, (int)Count(c.indexShape)).Select(_ => rng.Next(c.rows)).ToArray();
            var gather = new GradCase("gather", [Domain.Any],
                v => Variable.Gather(v[0], Tensor.FromArray(v[0].Device, indices, c.indexShape)));
            Check([gather], c.seed, [c.rows, c.dim]);
        });

    [Fact]
    public void CrossEntropyPassesGradCheck() =>
        ForAll(from rows in Gen.Choose(1, 6) from classes in Gen.Choose(1, 7) from seed in Seed select (rows, classes, seed), c =>
        {
            var rng = new Random(c.seed);
            var targets = Enumerable.Range(0, c.rows).Select(_ => rng.Next(c.classes)).ToArray();
            Tensor Targets(Variable v) => Tensor.FromArray(v.Device, targets, c.rows);
            GradCase[] cases =
            [
                new("cross-entropy (mean)", [Domain.Any], v => Variable.CrossEntropy(v[0], Targets(v[0]))),
                new("cross-entropy per row", [Domain.Any], v => Variable.CrossEntropyPerRow(v[0], Targets(v[0]))),
            ];
            Check(cases, c.seed, [c.rows, c.classes]);
        });
}
