using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;
using Engine.Tensors;
using Engine.Tests.OpenCl;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using Xunit.Abstractions;

namespace Engine.Tests.Fusion;

/// <summary>
/// BFloat16 storage in fused programs: an input is widened exactly, an output rounded to nearest even (ties to even, NaN
/// kept quiet, overflow to ∞), on every backend and in the SIMD body, its scalar tail, the strided and the broadcast
/// paths. Rounding is checked against the nearest of the two neighbouring bfloat16 values found in double, not the bit
/// formula the kernels share.
/// </summary>
[Collection("OpenCl")]
public sealed class BFloat16StorageTests(OpenClFixture fixture, ITestOutputHelper output)
{
    /// <summary>The bfloat16 nearest to a finite or infinite <paramref name="x"/>, ties to even, found by comparing the two candidates in double.</summary>
    private static ushort Nearest(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        ushort below = (ushort)(bits >> 16);                      // toward zero
        ushort above = (ushort)(below + 1);                       // away from zero (0x7F80/0xFF80 = ±∞ past the largest)
        double lo = DTypes.FromBFloat16(below), hi = DTypes.FromBFloat16(above), v = x;
        if (double.IsInfinity(hi))
            hi = Math.CopySign(Math.Pow(2, 128), v);              // where rounding to ∞ starts: the next step past the largest
        double dLo = Math.Abs(v - lo), dHi = Math.Abs(hi - v);
        if (dLo < dHi) return below;
        if (dHi < dLo) return above;
        return (below & 1) == 0 ? below : above;
    }

    /// <summary>
    /// <paramref name="actual"/> is the bfloat16 of <paramref name="x"/>: the nearest one, or for a NaN a quiet NaN with
    /// its sign and the upper bits of its payload (a payload only in the lower half must not become ∞ or ±0).
    /// </summary>
    private static void Converted(float x, ushort actual, string where)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        if (float.IsNaN(x))
        {
            Assert.True((actual & 0x7F80) == 0x7F80 && (actual & 0x40) != 0 && (actual & 0x8000) == ((bits >> 16) & 0x8000)
                        && (actual & 0x3F) == ((bits >> 16) & 0x3F),
                        $"{where}: NaN 0x{bits:X8} became 0x{actual:X4}, not a quiet NaN of its sign and payload");
            return;
        }
        Assert.True(actual == Nearest(x), $"{where}: {x:R} (0x{bits:X8}): expected 0x{Nearest(x):X4}, got 0x{actual:X4}");
    }

    /// <summary>
    /// Floats that stress the rounding: exact ties, one ulp either side, subnormals, ±0, the overflow edge, ∞, and NaNs of
    /// every kind (quiet, signaling, payload only in the lower half, either sign).
    /// </summary>
    private static float[] EdgeValues()
    {
        var values = new List<float> { 0f, -0f, float.Epsilon, -float.Epsilon, float.MaxValue, -float.MaxValue,
                                       float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1f, -1f, 3.3895314e38f };
        var rng = new Random(5);
        for (int k = 0; k < 40; k++)
        {
            uint top = (uint)rng.Next(0, 0x10000) << 16;
            foreach (uint low in new uint[] { 0x8000, 0x7FFF, 0x8001, 0x0001, 0xFFFF })
                values.Add(BitConverter.UInt32BitsToSingle(top | low));
        }
        values.Add(BitConverter.UInt32BitsToSingle(0x7F7F_8000));   // halfway between the largest bfloat16 and ∞: ties to even (∞)
        values.Add(BitConverter.UInt32BitsToSingle(0x7F7F_7FFF));   // just below it: the largest
        values.Add(BitConverter.UInt32BitsToSingle(0x0000_8000));   // a subnormal tie
        foreach (uint nan in new uint[] { 0x7F80_0001, 0xFF80_0001, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x7F80_8000, 0x7FBF_FFFF, 0x7FC0_0000 })
            values.Add(BitConverter.UInt32BitsToSingle(nan));
        for (int k = 0; k < 48; k++)
        {
            uint sign = (uint)rng.Next(0, 2) << 31, payload = (uint)rng.Next(1, 0x80_0000);
            values.Add(BitConverter.UInt32BitsToSingle(sign | 0x7F80_0000 | payload));
        }
        return values.ToArray();
    }

    [Fact]
    public void HostConversionRoundsToTheNearestBFloat16TiesToEven()
    {
        foreach (var x in EdgeValues()) Converted(x, DTypes.ToBFloat16(x), "host");
        Assert.True(float.IsNaN(DTypes.RoundToBFloat16(float.NaN)));
        Assert.Equal(1.5f, DTypes.FromBFloat16(DTypes.ToBFloat16(1.5f)));
    }

    [Fact]
    public void EveryBackendCastsEdgeValuesAsTheHostDoes()
    {
        var values = EdgeValues();
        foreach (var device in FusionKit.Devices(fixture, output))
        {
            using var scope = new TensorScope();
            var wide = Tensor.FromArray(device, values);
            var narrow = wide.Cast(DType.BFloat16);
            Assert.Equal(DType.BFloat16, narrow.DType);
            var back = narrow.ToArray();
            for (int i = 0; i < values.Length; i++)
            {
                uint bits = BitConverter.SingleToUInt32Bits(back[i]);
                Assert.True((bits & 0xFFFF) == 0, $"{device.Id}: element {i} widened to 0x{bits:X8}");
                Converted(values[i], (ushort)(bits >> 16), $"{device.Id} element {i}");
            }
        }
    }

    private sealed record Case(int Rows, int Cols, bool StridedX, bool BroadcastY, int Seed)
    {
        public long[] Shape => [Rows, Cols];
        public int Count => Rows * Cols;
    }

    /// <summary>
    /// x (bfloat16, maybe read transposed: strided), y (fp32, maybe one value broadcast), s (a bfloat16 scalar broadcast):
    /// out_b = x·2 + y·s stored as bfloat16, out_f = x + s in fp32, and Σ x·y. x·2 and y·s are exact, so the fp32 sum is the
    /// correctly rounded value the reference rounds, and the bfloat16 result must match it bit for bit.
    /// </summary>
    [Fact]
    public void ProgramsReadAndWriteBFloat16AsTheReference()
    {
        var devices = FusionKit.Devices(fixture, output);
        var cases = from rows in Gen.Choose(1, 5) from cols in Gen.Choose(1, 53)
                    from strided in Gen.Elements(false, true) from broadcast in Gen.Elements(false, true)
                    from seed in Gen.Choose(0, 10_000)
                    select new Case(rows, cols, strided, broadcast, seed);
        var program = Sample();
        var seenOnGpu = new HashSet<(bool, bool, bool)>();
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var rng = new Random(c.Seed);
            float Bf(float v) => DTypes.RoundToBFloat16(v);
            var x = Enumerable.Range(0, c.Count).Select(_ => Bf((float)(rng.NextDouble() * 4 - 2) * MathF.Pow(2, rng.Next(-6, 6)))).ToArray();
            var y = Enumerable.Range(0, c.BroadcastY ? 1 : c.Count).Select(_ => Bf((float)(rng.NextDouble() * 4 - 2))).ToArray();
            float s = Bf(0.75f);
            // x laid out as [cols, rows] and read transposed when strided.
            var xLaid = c.StridedX ? Transpose(x, c.Rows, c.Cols) : x;
            var xStrides = c.StridedX ? new long[] { 1, c.Rows } : [c.Cols, 1];
            var yStrides = c.BroadcastY ? new long[] { 0, 0 } : [c.Cols, 1];
            var expected = program.EvaluateReference(c.Count, [x.Select(v => (double)v).ToArray(),
                Enumerable.Range(0, c.Count).Select(e => (double)y[c.BroadcastY ? 0 : e]).ToArray(),
                Enumerable.Repeat((double)s, c.Count).ToArray()], []);
            // PoCL builds are slow: each layout (x strided or not, y broadcast or not, a tail or not) once there.
            bool gpu = seenOnGpu.Add((c.StridedX, c.BroadcastY, c.Count % 16 != 0));
            foreach (var device in devices.Where(d => d.Kind == DeviceKind.Cpu || gpu))
            {
                var (outB, outF, sum) = Run(device, program, c, xLaid, xStrides, y, yStrides, s);
                for (int e = 0; e < c.Count; e++)
                {
                    Assert.True(outB[e].Equals((float)expected.Outputs[0][e]), $"{device.Id} {c}: out_b[{e}] = {outB[e]:R}, expected {expected.Outputs[0][e]:R}");
                    Assert.True(outF[e].Equals((float)expected.Outputs[1][e]), $"{device.Id} {c}: out_f[{e}] = {outF[e]:R}, expected {expected.Outputs[1][e]:R}");
                }
                FusionKit.Near(expected.Reductions[0], sum, 1e-5, 1e-5, $"{device.Id} {c}: Σ x·y");
            }
            return true;
        }).Check(TestSeeds.Quick(40));
    }

    /// <summary>
    /// A launch of several CPU chunks (65536 elements each), dense, and as rows of a strided view (a column slice, so the
    /// rows cannot merge): each chunk and row must start at its own bfloat16 element, not where an fp32 element would.
    /// </summary>
    [Fact]
    public void LaunchesOfManyChunksAndRowsFindEachBFloat16Element()
    {
        const int rows = 5, width = 40_003, pitch = width + 3;
        var values = FusionKit.Random(9, rows * pitch, -3f, 3f);
        var f = new FusionBuilder("bf16_scale");
        var a = f.Input("a", DType.BFloat16);
        f.Reduction("total", Fx.Sum(a));
        f.Output("out", a * 0.5f, DType.BFloat16);
        var program = f.Build();
        foreach (var device in FusionKit.Devices(fixture, output))
        {
            using var scope = new TensorScope();
            var narrow = Tensor.FromArray(device, values, rows, pitch).Cast(DType.BFloat16);
            foreach (var (name, operand, at) in new (string, Tensor, Func<int, int>)[]
                     {
                         ("dense", narrow.Reshape(rows * pitch), i => i),
                         ("rows", narrow.Slice(1, 0, width), i => i / width * pitch + i % width),
                     })
            {
                var halved = Tensor.Map(program, "bf16_scale", [], operand).ToArray();
                var read = operand.ToArray();
                for (int i = 0; i < halved.Length; i++)
                {
                    float expected = DTypes.RoundToBFloat16(values[at(i)]);
                    Assert.True(halved[i] == expected * 0.5f && read[i] == expected,
                                $"{device.Id} {name} element {i}: {read[i]:R} halved to {halved[i]:R}, expected {expected:R}");
                }
            }
        }
    }

    /// <summary>The program of <see cref="ProgramsReadAndWriteBFloat16AsTheReference"/> (its CUDA text is compiled to PTX in CI).</summary>
    public static FusedProgram Sample()
    {
        var f = new FusionBuilder("bf16_sample");
        var x = f.Input("x", DType.BFloat16);
        var y = f.Input("y");
        var s = f.Input("s", DType.BFloat16);
        f.Reduction("xy", Fx.Sum(x * y));
        f.Output("out_b", x * 2f + y * s, DType.BFloat16);
        f.Output("out_f", x + s);
        return f.Build();
    }

    [Fact]
    public void StorageIsPartOfTheProgramAndChecked()
    {
        var f32 = new FusionBuilder("copy"); f32.Output("out", f32.Input("a"));
        var b16 = new FusionBuilder("copy"); b16.Output("out", b16.Input("a", DType.BFloat16));
        Assert.NotEqual(f32.Build().Hash, b16.Build().Hash);
        var bad = new FusionBuilder("ints");
        Assert.Contains("Int32", Assert.Throws<ArgumentException>(() => bad.Input("i", DType.Int32)).Message);

        var device = Backends.Get("cpu");
        using var scope = new TensorScope();
        var half = Tensor.Zeros(device, DType.BFloat16, 5);
        var full = Tensor.Zeros(device, 5);
        Assert.Contains("BFloat16", Assert.Throws<ArgumentException>(() => half + full).Message);
        Assert.Contains("Cast", Assert.Throws<ArgumentException>(() => half.Fill(1f)).Message);
        // Device ops read their operands as fp32: every operand is checked, not only the first.
        var x = Tensor.Zeros(device, 2, 5);
        Assert.Contains("BFloat16", Assert.Throws<ArgumentException>(() => Tensor.LayerNorm(x, half, full)).Message);
        Assert.Contains("BFloat16", Assert.Throws<ArgumentException>(() => Tensor.LayerNorm(x, full, half)).Message);
        var table = Tensor.Zeros(device, 3, 5);
        var indices = Tensor.FromArray(device, new[] { 1 }, 1);
        Assert.Contains("BFloat16", Assert.Throws<ArgumentException>(() => Tensor.ScatterAdd(table, indices, Tensor.Zeros(device, DType.BFloat16, 1, 5))).Message);
        // 5 bfloat16 elements take 3 four-byte units: element 6 is past the end.
        using var buffer = device.Allocate(3);
        var launch = new FusedLaunch([2], [new StridedSlice(buffer, 5, [2], [1])], [new BufferSlice(buffer, 0)], []);
        Assert.Contains("holds 6 BFloat16 elements", Assert.Throws<ArgumentOutOfRangeException>(() => device.RunFused(b16.Build(), launch)).Message);
    }

    private static int Even(int n) => (n + 1) & ~1;

    private static float[] Transpose(float[] a, int rows, int cols)
    {
        var t = new float[a.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }

    private static (float[] OutB, float[] OutF, float Sum) Run(ComputeDevice device, FusedProgram program, Case c, float[] x, long[] xStrides,
                                                               float[] y, long[] yStrides, float s)
    {
        var buffers = new List<DeviceBuffer>();
        DeviceBuffer Keep(DeviceBuffer b) { buffers.Add(b); return b; }
        try
        {
            // bfloat16 operands start at an odd element (1), so neither the 4-byte unit nor a vector is aligned.
            // Host transfers move whole 4-byte units: the bfloat16 arrays are padded to even lengths.
            var xHalves = new ushort[Even(x.Length + 1)];
            xHalves[0] = 0x7FC0;   // NaN before the operand: a kernel that ignored the offset would show it
            for (int i = 0; i < x.Length; i++) xHalves[i + 1] = DTypes.ToBFloat16(x[i]);
            var xBuffer = Keep(device.Allocate(xHalves.Length / 2));
            device.Write<ushort>(new BufferSlice(xBuffer, 0), xHalves);
            var yBuffer = Keep(device.Allocate(y.Length));
            device.Write<float>(new BufferSlice(yBuffer, 0), y);
            var sBuffer = Keep(device.Allocate(1));
            device.Write<ushort>(new BufferSlice(sBuffer, 0), [DTypes.ToBFloat16(s), 0]);
            var outB = Keep(device.Allocate(Even(c.Count + 1) / 2));
            var outF = Keep(device.Allocate(c.Count));
            var reduced = Keep(device.Allocate(1));
            device.RunFused(program, new FusedLaunch(c.Shape,
                [new StridedSlice(xBuffer, 1, c.Shape, xStrides), new StridedSlice(yBuffer, 0, c.Shape, yStrides),
                 new StridedSlice(sBuffer, 0, c.Shape, [0, 0])],
                [new BufferSlice(outB, 1), new BufferSlice(outF, 0)], [], new BufferSlice(reduced, 0)));
            var halves = new ushort[Even(c.Count + 1)];
            device.Read<ushort>(new BufferSlice(outB, 0), halves);
            var f = new float[c.Count];
            device.Read<float>(new BufferSlice(outF, 0), f);
            var r = new float[1];
            device.Read<float>(new BufferSlice(reduced, 0), r);
            return (halves.Skip(1).Take(c.Count).Select(DTypes.FromBFloat16).ToArray(), f, r[0]);
        }
        finally
        {
            foreach (var b in buffers) b.Dispose();
        }
    }
}
