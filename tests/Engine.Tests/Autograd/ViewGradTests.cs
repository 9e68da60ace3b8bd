using Engine.Autograd;
using FsCheck.Fluent;
using Xunit;
using static Engine.Tests.Autograd.GradTesting;

namespace Engine.Tests.Autograd;

public class ViewGradTests
{
    [Fact]
    public void ShapeOpsPassGradCheck() =>
        ForAll(from shape in Shape()
               from axis0 in Gen.Choose(0, shape.Length - 1)
               from axis1 in Gen.Choose(0, shape.Length - 1)
               from keys in Gen.ArrayOf(Gen.Choose(0, 1000), shape.Length)
               from start in Gen.Choose(0, shape[axis0] - 1)
               from length in Gen.Choose(1, shape[axis0] - start)
               from seed in Seed
               select (shape, axis0, axis1, keys, start, length, seed),
               c =>
               {
                   var permutation = Enumerable.Range(0, c.shape.Length).OrderBy(i => c.keys[i]).ThenBy(i => i).ToArray();
                   var reversed = c.shape.Reverse().ToArray();
                   GradCase[] cases =
                   [
                       new("reshape flat", [Domain.Any], v => v[0].Reshape(-1)),
                       new("reshape reversed", [Domain.Any], v => v[0].Reshape(reversed)),
                       new($"transpose {c.axis0} {c.axis1}", [Domain.Any], v => v[0].Transpose(c.axis0, c.axis1)),
                       new($"permute {string.Join(",", permutation)}", [Domain.Any], v => v[0].Permute(permutation)),
                       new($"slice axis {c.axis0} [{c.start}, +{c.length})", [Domain.Any], v => v[0].Slice(c.axis0, c.start, c.length)),
                       new("contiguous of a transpose", [Domain.Any], v => v[0].Transpose(c.axis0, c.axis1).Contiguous()),
                       new("reshape of a permute", [Domain.Any], v => v[0].Permute(permutation).Reshape(-1)),
                   ];
                   Check(cases, c.seed, c.shape);
               });

    [Fact]
    public void ConcatPassesGradCheck() =>
        ForAll(from shape in Shape()
               from axis in Gen.Choose(-shape.Length, shape.Length - 1)
               from extra in Gen.ArrayOf(Gen.Choose(1, 4), 2)
               from seed in Seed
               select (shape, axis, extra, seed),
               c =>
               {
                   int a = c.axis < 0 ? c.axis + c.shape.Length : c.axis;
                   int[] Along(int size) { var s = (int[])c.shape.Clone(); s[a] = size; return s; }
                   var concat = new GradCase($"concat axis {c.axis}", [Domain.Any], v => Variable.Concat(c.axis, v[0], v[1], v[2]));
                   var twice = new GradCase($"concat axis {c.axis} of one variable twice", [Domain.Any], v => Variable.Concat(c.axis, v[0], v[1], v[0]));
                   Check([concat], c.seed, c.shape, Along(c.extra[0]), Along(c.extra[1]));
                   Check([twice], c.seed, c.shape, Along(c.extra[0]));
               });
}
