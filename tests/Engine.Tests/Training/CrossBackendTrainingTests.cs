using Engine.Models.Training;
using Engine.Tests.Models;
using Engine.Tests.Support;
using Xunit;

namespace Engine.Tests.Training;

/// <summary>The cross-backend bar: 20 training steps on another backend follow the cpu losses within 1e-3 relative.</summary>
public class CrossBackendTrainingTests
{
    [Theory]
    [MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void TwentyStepsFollowTheCpuLosses(string backend)
    {
        double[] Losses(string name)
        {
            using var dir = ModelTestFiles.CreateTempDirectory();
            using var trainer = new Trainer(TinyRuns.Config(dir.Path, maxIters: 20), device: Backends.Get(name));
            return Enumerable.Range(0, 20).Select(_ => trainer.TrainStep()).ToArray();
        }
        var reference = Losses("cpu");
        var actual = Losses(backend);
        Assert.True(reference[^1] < reference[0], $"cpu loss did not fall: {reference[0]:F4} → {reference[^1]:F4}");
        for (int i = 0; i < reference.Length; i++)
            Assert.True(Math.Abs(actual[i] - reference[i]) <= 1e-3 * Math.Abs(reference[i]),
                $"{backend} step {i + 1}: loss {actual[i]:R} vs cpu {reference[i]:R}");
    }
}
