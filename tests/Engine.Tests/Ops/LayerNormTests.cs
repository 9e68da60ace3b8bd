using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Ops;

public class LayerNormTests
{
    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void LayerNorm_matches_double_reference(string backend)
    {
        var device = Backends.Get(backend);
        var cases = from rows in Gen.OneOf(Gen.Choose(1, 9), Gen.Elements(64, 131))
                    from cols in Gen.OneOf(Gen.Choose(1, 40), Gen.Elements(63, 65, 257, 768, 1031))
                    from shift in Gen.Elements(0f, 100f)
                    from eps in Gen.Elements(1e-5f, 1e-3f)
                    from seed in Gen.Choose(0, int.MaxValue)
                    select (rows, cols, shift, eps, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            // A large common shift makes a one-pass E[x^2] - E[x]^2 variance cancel catastrophically.
            var x = DeviceData.Floats(c.seed, c.rows * c.cols, c.shift - 1, c.shift + 1);
            var gamma = DeviceData.Floats(c.seed + 1, c.cols, 0.5f, 1.5f);
            var beta = DeviceData.Floats(c.seed + 2, c.cols);
            using var dx = device.Upload(x);
            using var dg = device.Upload(gamma);
            using var db = device.Upload(beta);
            using var dy = device.Allocate(c.rows * c.cols);
            using var dm = device.Allocate(c.rows);
            using var dr = device.Allocate(c.rows);
            device.LayerNorm(dx, dg, db, dy, dm, dr, c.rows, c.cols, c.eps);
            var y = device.ReadFloats(dy);
            var mean = device.ReadFloats(dm);
            var rstd = device.ReadFloats(dr);
            for (int r = 0; r < c.rows; r++)
            {
                double mu = 0, variance = 0;
                for (int j = 0; j < c.cols; j++) mu += x[r * c.cols + j];
                mu /= c.cols;
                for (int j = 0; j < c.cols; j++) variance += Math.Pow(x[r * c.cols + j] - mu, 2);
                variance /= c.cols;
                double inv = 1 / Math.Sqrt(variance + c.eps);
                string where = $"layernorm [{c.rows}, {c.cols}] shift {c.shift} row {r}";
                Close.Check(mu, mean[r], mu, where + " mean", relative: 1e-6);
                Close.Check(inv, rstd[r], inv, where + " rstd", relative: 1e-4);
                for (int j = 0; j < c.cols; j++)
                {
                    // x itself carries fp32 rounding of the shift, amplified by rstd: allow for it.
                    double expected = (x[r * c.cols + j] - mu) * inv * gamma[j] + beta[j];
                    double scale = 1 + (Math.Abs(c.shift) * inv * gamma[j] * 0.1);
                    Close.Check(expected, y[r * c.cols + j], scale, $"{where} col {j}", relative: 1e-4);
                }
            }
        }).Check(TestSeeds.Quick(60));
    }
}
