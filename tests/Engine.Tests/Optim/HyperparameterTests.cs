using Engine.Optim;
using Xunit;

namespace Engine.Tests.Optim;

public class HyperparameterTests
{
    public static TheoryData<string, string, string> Invalid => new()
    {
        { "adamw lr", "learningRate", "-0.001" },
        { "adamw b1", "b1", "1" },
        { "adamw b1 negative", "b1", "-0.1" },
        { "adamw b2", "b2", "1.5" },
        { "adamw eps", "eps", "0" },
        { "adamw wd", "weightDecay", "-0.1" },
        { "adamw clip", "maxNorm", "0" },
        { "adamw clip nan", "maxNorm", "NaN" },
        { "sgd lr", "learningRate", "-1" },
        { "sgd momentum", "momentum", "1" },
        { "sgd nesterov", "momentum", "0" },
        { "sgd wd", "weightDecay", "-1" },
        { "schedule warmup", "lrDecayIters", "10" },
        { "schedule negative warmup", "warmupIters", "-1" },
        { "schedule min", "minLearningRate", "0.5" },
    };

    private static readonly Dictionary<string, Action> Make = new()
    {
        ["adamw lr"] = () => Optimizers.AdamW(-1e-3),
        ["adamw b1"] = () => Optimizers.AdamW(1e-3, b1: 1),
        ["adamw b1 negative"] = () => Optimizers.AdamW(1e-3, b1: -0.1),
        ["adamw b2"] = () => Optimizers.AdamW(1e-3, b2: 1.5),
        ["adamw eps"] = () => Optimizers.AdamW(1e-3, eps: 0),
        ["adamw wd"] = () => Optimizers.AdamW(1e-3, weightDecay: -0.1),
        ["adamw clip"] = () => Optimizers.AdamW(1e-3, clip: 0),
        ["adamw clip nan"] = () => Optimizers.AdamW(1e-3, clip: double.NaN),
        ["sgd lr"] = () => Optimizers.Sgd(-1),
        ["sgd momentum"] = () => Optimizers.Sgd(0.1, momentum: 1),
        ["sgd nesterov"] = () => Optimizers.Sgd(0.1, momentum: 0, nesterov: true),
        ["sgd wd"] = () => Optimizers.Sgd(0.1, weightDecay: -1),
        ["schedule warmup"] = () => LearningRateSchedule.WarmupCosine(1e-3, 20, 10, 1e-4),
        ["schedule negative warmup"] = () => LearningRateSchedule.WarmupCosine(1e-3, -1, 10, 1e-4),
        ["schedule min"] = () => LearningRateSchedule.WarmupCosine(0.1, 1, 10, 0.5),
    };

    [Theory, MemberData(nameof(Invalid))]
    public void InvalidHyperparameterThrowsNamingIt(string label, string parameter, string value)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(Make[label]);
        Assert.Equal(parameter, e.ParamName);
        Assert.Contains(parameter, e.Message);
        Assert.Contains(value, e.Message);
    }

    [Fact]
    public void ClippingMustComeFirstInAChain()
    {
        var e = Assert.Throws<ArgumentException>(() => new TransformChain(new ScaleByAdam(), new ClipGlobalNorm(1)));
        Assert.Contains("clip_global_norm", e.Message);
        Assert.Contains("first", e.Message);
    }
}
