using Engine.Autograd;
using FsCheck.Fluent;
using Xunit;
using static Engine.Tests.Autograd.GradTesting;

namespace Engine.Tests.Autograd;

public class MatMulGradTests
{
    /// <summary>Batch axes of a and b: none, equal, one side only, size 1 against B, and [B,1] against [1,C].</summary>
    private static (int[] A, int[] B) BatchShapes(int mode, int b1, int b2) => mode switch
    {
        0 => ([], []),
        1 => ([b1], [b1]),
        2 => ([b1], []),
        3 => ([], [b1]),
        4 => ([1], [b1]),
        _ => ([b1, 1], [1, b2]),
    };

    [Fact]
    public void BatchedMatMulWithTransposesPassesGradCheck() =>
        ForAll(from m in Gen.Choose(1, 5) from k in Gen.Choose(1, 5) from n in Gen.Choose(1, 5)
               from mode in Gen.Choose(0, 5) from b1 in Gen.Choose(1, 3) from b2 in Gen.Choose(1, 3)
               from ta in Gen.Elements(false, true) from tb in Gen.Elements(false, true)
               from seed in Seed
               select (m, k, n, mode, b1, b2, ta, tb, seed),
               c =>
               {
                   var (batchA, batchB) = BatchShapes(c.mode, c.b1, c.b2);
                   int[] a = [.. batchA, .. c.ta ? new[] { c.k, c.m } : [c.m, c.k]];
                   int[] b = [.. batchB, .. c.tb ? new[] { c.n, c.k } : [c.k, c.n]];
                   var matmul = new GradCase($"matmul ta={c.ta} tb={c.tb}", [Domain.Any],
                       v => Variable.MatMul(v[0], v[1], c.ta, c.tb));
                   Check([matmul], c.seed, a, b);
               }, maxTest: 60);
}
