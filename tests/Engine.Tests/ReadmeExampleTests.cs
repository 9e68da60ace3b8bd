using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;
using Engine.Models.Config;
using Engine.Models.Data;
using Engine.Models.Training;
using Engine.Tensors;
using Xunit;

namespace Engine.Tests;

/// <summary>The README's library examples, verbatim where possible, so the README cannot drift from the API.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void TensorExampleRunsAndEachSoftmaxRowSumsToOne()
    {
        var device = DeviceRegistry.Open("cpu");
        Tensor keep;
        using (var scope = new TensorScope())
        {
            var x = Tensor.Normal(device, 1, 0f, 1f, 64, 128);
            var w = Tensor.Uniform(device, 2, -0.1f, 0.1f, 256, 128);
            var h = Tensor.MatMul(x, w, transposeB: true).Gelu();
            var p = h.Softmax();
            var ln = Tensor.LayerNorm(h, Tensor.Ones(device, 256), Tensor.Zeros(device, 256));
            float total = p.Sum().Item();
            Assert.Equal(64f, total, 1e-3);
            keep = scope.Keep(ln.Output);
            Assert.True(x.Count == 64 * 128 && !x.IsDisposed);
        }
        Assert.False(keep.IsDisposed);
        Assert.Equal(new[] { 64, 256 }, keep.Shape.ToArray());
        keep.Dispose();
    }

    [Fact]
    public void FusionExampleComputesAdamWithoutBiasCorrection()
    {
        var f = new FusionBuilder("adamw");
        var p = f.Input("p"); var g = f.Input("g"); var m = f.Input("m"); var v = f.Input("v");
        var lr = f.Scalar("lr"); var b1 = f.Scalar("b1"); var b2 = f.Scalar("b2");
        var m2 = b1 * m + (1 - b1) * g;
        var v2 = b2 * v + (1 - b2) * g * g;
        f.Output("p", p - lr * m2 / (Fx.Sqrt(v2) + 1e-8f));
        f.Output("m", m2);
        f.Output("v", v2);
        FusedProgram program = f.Build();

        var device = DeviceRegistry.Open("cpu");
        float[] hp = [1f, -2f, 3f], hg = [0.5f, 0.25f, -1f], hm = [0.1f, 0f, -0.2f], hv = [0.01f, 0f, 0.04f];
        using var bp = Tensor.FromArray(device, hp, 3);
        using var bg = Tensor.FromArray(device, hg, 3);
        using var bm = Tensor.FromArray(device, hm, 3);
        using var bv = Tensor.FromArray(device, hv, 3);
        using var outP = Tensor.Zeros(device, 3);
        using var outM = Tensor.Zeros(device, 3);
        using var outV = Tensor.Zeros(device, 3);
        StridedSlice In(Tensor t) => new(t.Buffer, 0, [3], [1]);
        device.RunFused(program, new FusedLaunch([3], [In(bp), In(bg), In(bm), In(bv)],
                                                 [outP.Buffer, outM.Buffer, outV.Buffer], [0.1f, 0.9f, 0.99f]));
        var rp = outP.ToArray();
        for (int i = 0; i < 3; i++)
        {
            double m2d = 0.9 * hm[i] + 0.1 * hg[i], v2d = 0.99 * hv[i] + 0.01 * hg[i] * hg[i];
            Assert.Equal(hp[i] - 0.1 * m2d / (Math.Sqrt(v2d) + 1e-8), rp[i], 1e-5);
            Assert.Equal(m2d, outM.ToArray()[i], 1e-6);
        }
    }

    [Fact]
    public void TrainingExampleRunsAndLeavesACheckpoint()
    {
        var dir = Directory.CreateTempSubdirectory("engine-readme-");
        try
        {
            var data = Path.Combine(dir.FullName, "tiny.txt");
            File.WriteAllText(data, GeneratedCorpus.Create(60_000, seed: 3).Text);
            // The README's settings, shrunk so the test stays fast.
            var config = TrainConfig.Tiny with
            {
                Data = data, MaxIters = 20, OutDir = Path.Combine(dir.FullName, "out"),
                Layers = 1, Width = 32, Heads = 2, BlockSize = 16, BatchSize = 4, WarmupIters = 2, LrDecayIters = 20,
            };
            var steps = new List<long>();
            using var trainer = new Trainer(config);
            var result = trainer.Run(new InlineReport(p => steps.Add(p.Step)));
            Assert.Equal(20, result.Step);
            Assert.Equal(new long[] { 10, 20 }, steps);
            Assert.True(double.IsFinite(result.ValLoss));
            Assert.NotNull(result.Checkpoint);
            Assert.True(File.Exists(Path.Combine(config.OutDir, result.Checkpoint + ".safetensors")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private sealed class InlineReport(Action<TrainProgress> report) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => report(value);
    }
}
