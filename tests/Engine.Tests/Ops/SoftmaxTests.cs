using Engine.Kernels.Devices;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Ops;

public class SoftmaxTests
{
    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Softmax_matches_double_reference(string backend)
    {
        var device = Backends.Get(backend);
        var cases = from rows in Gen.OneOf(Gen.Choose(1, 9), Gen.Elements(64, 131))
                    from cols in Gen.OneOf(Gen.Choose(1, 40), Gen.Elements(63, 65, 257, 1031))
                    from log in ArbMap.Default.GeneratorFor<bool>()
                    from inPlace in ArbMap.Default.GeneratorFor<bool>()
                    from range in Gen.Elements(1f, 30f, 500f)
                    from seed in Gen.Choose(0, int.MaxValue)
                    select (rows, cols, log, inPlace, range, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            // Logits up to +-500 overflow exp() unless the row max is subtracted first.
            var x = DeviceData.Floats(c.seed, c.rows * c.cols, -c.range, c.range);
            using var src = device.Upload(x);
            using var separate = device.Allocate(c.rows * c.cols);
            var dst = c.inPlace ? src : separate;
            device.Softmax(src, dst, c.rows, c.cols, c.log);
            var y = device.ReadFloats(dst);
            for (int r = 0; r < c.rows; r++)
            {
                double max = double.NegativeInfinity, sum = 0;
                for (int j = 0; j < c.cols; j++) max = Math.Max(max, x[r * c.cols + j]);
                for (int j = 0; j < c.cols; j++) sum += Math.Exp(x[r * c.cols + j] - max);
                for (int j = 0; j < c.cols; j++)
                {
                    double shifted = x[r * c.cols + j] - max;
                    double expected = c.log ? shifted - Math.Log(sum) : Math.Exp(shifted) / sum;
                    string where = $"{(c.log ? "log-softmax" : "softmax")} [{c.rows}, {c.cols}] range {c.range} at ({r}, {j})";
                    Close.Check(expected, y[r * c.cols + j], c.log ? Math.Abs(max) + Math.Abs(expected) : expected, where,
                                relative: 1e-5, absolute: 1e-7);
                }
            }
        }).Check(TestSeeds.Quick(80));
    }
}
