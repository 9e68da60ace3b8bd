using Engine.Autograd;
using Engine.Tensors;
using Xunit;
using static Engine.Tests.Autograd.GradTesting;

namespace Engine.Tests.Autograd;

public class GradCheckTests
{
    [Fact]
    public void AWrongBackwardRuleFailsTheCheck()
    {
        // exp's value with the derivative of the identity: the check must notice.
        static Variable WrongExp(Variable x) =>
            GradientTape.Record("WrongExp", x.Value.Exp(), [x], g => [g.Reshape(g.Shape.ToArray())]);

        var report = GradCheck.Run(Cpu, v => WeightedSum(WrongExp(v[0])), [([0.5f, -1f, 1.5f], [3])]);
        Assert.False(report.Passed);
        Assert.Equal(3, report.Mismatches.Count);
        Assert.Contains("analytic", report.ToString());
    }

    [Fact]
    public void SmallInputsAreCheckedEverywhereAndLargeOnesAtASubset()
    {
        var small = Enumerable.Range(0, 10).Select(i => 0.1f * i - 0.4f).ToArray();
        var large = Enumerable.Range(0, 300).Select(i => MathF.Sin(i)).ToArray();
        var options = new GradCheckOptions(MaxElementsPerInput: 16);
        var report = GradCheck.Run(Cpu, v => WeightedSum(v[0].Tanh() * v[1].Sum()), [(small, [10]), (large, [300])], options);
        Assert.True(report.Passed, report.ToString());
        Assert.Equal(10 + 16, report.Checked);
    }

    [Fact]
    public void TheCheckComparesAgainstTheTrueDerivative()
    {
        // d/dx Σ w·x³ = 3w·x²: the numeric derivative the check forms must match it, so a correct rule passes
        // and a rule off by a factor of 1.1 does not.
        var x = new[] { 0.7f, -1.3f, 2f };
        static Variable ScaledCube(Variable v, float factor) =>
            GradientTape.Record("ScaledCube", v.Value.Pow(3f), [v], g =>
            {
                using var square = v.Value.Pow(2f);
                using var d = square * (3f * factor);
                return [g * d];
            });
        Assert.True(GradCheck.Run(Cpu, v => WeightedSum(ScaledCube(v[0], 1f)), [(x, [3])]).Passed);
        Assert.False(GradCheck.Run(Cpu, v => WeightedSum(ScaledCube(v[0], 1.1f)), [(x, [3])]).Passed);
    }
}
