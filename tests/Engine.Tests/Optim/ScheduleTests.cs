using Engine.Optim;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Optim;

public class ScheduleTests
{
    [Fact]
    public void WarmupCosineMatchesNanoGptAtSamplePoints()
    {
        // nanoGPT's shakespeare-char config: lr 1e-3, warmup 100, decay 5000, min 1e-4.
        var s = LearningRateSchedule.WarmupCosine(1e-3, 100, 5000, 1e-4);
        Assert.Equal(1e-3 * 1 / 101, s.At(0), 15);
        Assert.Equal(1e-3 * 50 / 101, s.At(49), 15);
        Assert.Equal(1e-3 * 100 / 101, s.At(99), 15);
        Assert.Equal(1e-3, s.At(100), 15);
        Assert.Equal(1e-4 + 0.5 * 9e-4, s.At(2550), 15);
        Assert.Equal(1e-4, s.At(5000), 15);
        Assert.Equal(1e-4, s.At(5001), 15);
        Assert.Equal(1e-4, s.At(1_000_000), 15);
    }

    [Fact]
    public void WarmupCosineMatchesTheFormulaEverywhere()
    {
        var cases = from warmup in Gen.Choose(0, 50)
                    from span in Gen.Choose(1, 200)
                    from it in Gen.Choose(0, 300)
                    from lrMilli in Gen.Choose(1, 1000)
                    from minFraction in Gen.Elements(0.0, 0.1, 1.0)
                    select (warmup, span, it, lr: lrMilli * 1e-3, minFraction);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var s = new WarmupCosineSchedule(c.lr, c.warmup, c.warmup + c.span, c.lr * c.minFraction);
            double expected = OptimizerReference.NanoGptLr(s, c.it);
            Assert.Equal(expected, s.At(c.it), tolerance: 1e-12 * c.lr);
            Assert.InRange(s.At(c.it), c.lr * c.minFraction * (c.it < c.warmup ? 0 : 1) - 1e-15, c.lr + 1e-15);
        }).Check(TestSeeds.Quick(200));
    }

    [Fact]
    public void ConstantIsConstantAndConvertsFromANumber()
    {
        LearningRateSchedule s = 3e-4;
        Assert.Equal(3e-4, s.At(0));
        Assert.Equal(3e-4, s.At(123456));
    }

    [Fact]
    public void OptimizerReportsTheLearningRateOfTheNextStep()
    {
        var device = Support.Backends.Get("cpu");
        using var model = TestModel.Create(device, [[2, 2]], seed: 1);
        var schedule = LearningRateSchedule.WarmupCosine(1e-2, 3, 10, 1e-3);
        using var optimizer = new Optimizer(model.Store, Optimizers.AdamW(schedule));
        for (int t = 0; t < 5; t++)
        {
            Assert.Equal(schedule.At(t), optimizer.NextLearningRate);
            optimizer.Step();
        }
    }
}
