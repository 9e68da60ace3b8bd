using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Ops;

public class CrossEntropyTests
{
    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void CrossEntropy_matches_double_reference(string backend)
    {
        var device = Backends.Get(backend);
        var cases = from rows in Gen.OneOf(Gen.Choose(1, 9), Gen.Elements(64, 131))
                    from cols in Gen.OneOf(Gen.Choose(1, 40), Gen.Elements(63, 65, 257, 1031))
                    from range in Gen.Elements(1f, 30f, 500f)
                    from seed in Gen.Choose(0, int.MaxValue)
                    select (rows, cols, range, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var logits = DeviceData.Floats(c.seed, c.rows * c.cols, -c.range, c.range);
            var targets = DeviceData.Ints(c.seed + 1, c.rows, 0, c.cols);
            using var dl = device.Upload(logits);
            using var dt = device.Upload(targets);
            using var loss = device.Allocate(c.rows);
            device.CrossEntropy(dl, dt, loss, c.rows, c.cols);
            var result = device.ReadFloats(loss);
            for (int r = 0; r < c.rows; r++)
            {
                double max = double.NegativeInfinity, sum = 0;
                for (int j = 0; j < c.cols; j++) max = Math.Max(max, logits[r * c.cols + j]);
                for (int j = 0; j < c.cols; j++) sum += Math.Exp(logits[r * c.cols + j] - max);
                double expected = max + Math.Log(sum) - logits[r * c.cols + targets[r]];
                Close.Check(expected, result[r], Math.Abs(max) + expected, $"cross-entropy [{c.rows}, {c.cols}] range {c.range} row {r}",
                            relative: 1e-6);
            }
        }).Check(TestSeeds.Quick(60));
    }
}
