using Engine.Optim;
using Xunit;

namespace Engine.Tests.Optim;

/// <summary>Runs of equal hidden matrices: one shape, back to back, on one side of the weight-decay boundary.</summary>
public class MatrixRunTests
{
    [Fact]
    public void RunsBreakAtShapeGapsAndTheDecayBoundary()
    {
        HiddenMatrix M(string name, long offset, int rows, int cols) => new(name, offset, rows, cols);
        var matrices = new[]
        {
            M("q", 0, 4, 3), M("k", 12, 4, 3), M("v", 24, 4, 3),  // one run of three
            M("up", 36, 6, 3),                                    // another shape
            M("gap", 60, 6, 3),                                   // same shape, not adjacent (ends at 54)
            M("next", 78, 6, 3),                                  // adjacent, but past the decay boundary (78)
            M("last", 96, 6, 3),                                  // joins "next"
        };
        var runs = MatrixRun.Of(matrices, decayedCount: 78);
        Assert.Equal(
            [new MatrixRun(0, 3, 0, 4, 3), new MatrixRun(3, 1, 36, 6, 3), new MatrixRun(4, 1, 60, 6, 3), new MatrixRun(5, 2, 78, 6, 3)],
            runs);
        Assert.Equal(36, runs[^1].Elements);
        Assert.Empty(MatrixRun.Of([], 0));
    }

    [Theory]
    [InlineData(7, 12, 5)]    // 12-element matrices, 60 elements a batch: 5 + 2
    [InlineData(7, 12, 84)]   // everything in one batch
    [InlineData(7, 12, 11)]   // smaller than one matrix: one matrix a batch
    [InlineData(1, 12, 1)]
    public void SplitCoversTheRunInOrderWithinTheBudget(int count, int elements, int budgetMatrices)
    {
        var run = new MatrixRun(3, count, 100, 3, elements / 3);
        long budget = budgetMatrices == 11 ? 11 : (long)budgetMatrices * elements;
        var pieces = run.Split(budget).ToArray();
        Assert.Equal(count, pieces.Sum(p => p.Count));
        long offset = run.Offset;
        int first = run.First;
        foreach (var p in pieces)
        {
            Assert.Equal((first, offset, run.Rows, run.Cols), (p.First, p.Offset, p.Rows, p.Cols));
            Assert.True(p.Count >= 1 && (p.Elements <= budget || p.Count == 1), $"{p} over the budget {budget}");
            first += p.Count;
            offset += p.Elements;
        }
        Assert.True(pieces[..^1].All(p => p.Elements + elements > budget), "a piece stopped short of the budget");
    }
}
