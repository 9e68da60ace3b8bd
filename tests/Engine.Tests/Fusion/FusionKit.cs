using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;
using Engine.Tests.OpenCl;
using Engine.Tests.Support;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Engine.Tests.Fusion;

/// <summary>One operand of a test launch: host data laid out with <see cref="Shape"/>, broadcast (stride 0) to the launch shape.</summary>
internal sealed record HostInput(float[] Data, long[] Shape);

/// <summary>Runs fused programs on devices and checks them against <see cref="FusedProgram.EvaluateReference"/>.</summary>
internal static class FusionKit
{
    /// <summary>Every backend of <see cref="Backends"/>, plus the shared OpenCL device when Backends does not list one.</summary>
    public static List<ComputeDevice> Devices(OpenClFixture fixture, ITestOutputHelper output)
    {
        var devices = ((IEnumerable<object[]>)Backends.Names).Select(row => Backends.Get((string)row[0])).ToList();
        if (!devices.Any(d => d.Kind == DeviceKind.OpenCl) && fixture.Require(output) is { } cl) devices.Add(cl);
        return devices;
    }

    public static float[] Random(int seed, long count, float low = -1f, float high = 1f)
    {
        var r = new Random(seed);
        var data = new float[count];
        for (long i = 0; i < count; i++) data[i] = low + (high - low) * r.NextSingle();
        return data;
    }

    public static long Count(long[] shape) => shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>Strides of <paramref name="source"/> seen through <paramref name="shape"/>: 0 where the source has size 1.</summary>
    public static long[] BroadcastStrides(long[] source, long[] shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = source[d] == 1 && shape[d] != 1 ? 0 : s;
            s *= source[d];
        }
        return strides;
    }

    /// <summary>The input as a dense double array over <paramref name="shape"/>.</summary>
    public static double[] Expand(HostInput input, long[] shape)
    {
        var strides = BroadcastStrides(input.Shape, shape);
        long count = Count(shape);
        var result = new double[count];
        var index = new long[shape.Length];
        for (long e = 0; e < count; e++)
        {
            long offset = 0;
            for (int d = 0; d < shape.Length; d++) offset += index[d] * strides[d];
            result[e] = input.Data[offset];
            for (int d = shape.Length - 1; d >= 0 && ++index[d] == shape[d]; d--) index[d] = 0;
        }
        return result;
    }

    /// <summary>Runs <paramref name="program"/> on <paramref name="device"/>; returns outputs and reductions read back.</summary>
    public static (float[][] Outputs, float[] Reductions) Run(ComputeDevice device, FusedProgram program, long[] shape,
                                                               HostInput[] inputs, float[] scalars)
    {
        long count = Count(shape);
        var buffers = new List<DeviceBuffer>();
        try
        {
            var slices = inputs.Select(input =>
            {
                // a leading pad checks that the offset is honoured
                var buffer = device.Allocate(input.Data.Length + 3);
                buffers.Add(buffer);
                device.Write<float>(new BufferSlice(buffer, 3), input.Data);
                return new StridedSlice(buffer, 3, shape, BroadcastStrides(input.Shape, shape));
            }).ToArray();
            var outputs = Enumerable.Range(0, program.OutputCount).Select(_ =>
            {
                var buffer = device.Allocate(count + 2);
                buffers.Add(buffer);
                return new BufferSlice(buffer, 2);
            }).ToArray();
            var reductions = device.Allocate(program.ReductionCount + 1);
            buffers.Add(reductions);
            device.RunFused(program, new FusedLaunch(shape, slices, outputs, scalars, new BufferSlice(reductions, 1)));
            var results = outputs.Select(o =>
            {
                var data = new float[count];
                device.Read<float>(o, data);
                return data;
            }).ToArray();
            var reduced = new float[program.ReductionCount];
            device.Read<float>(new BufferSlice(reductions, 1), reduced);
            return (results, reduced);
        }
        finally
        {
            foreach (var b in buffers) b.Dispose();
        }
    }

    /// <summary>Runs on <paramref name="device"/> and compares every output and reduction with the double reference.</summary>
    public static void Check(ComputeDevice device, FusedProgram program, long[] shape, HostInput[] inputs, float[] scalars,
                             double relative = 2e-4, double absolute = 2e-5)
    {
        var expected = program.EvaluateReference(Count(shape), inputs.Select(i => Expand(i, shape)).ToArray(),
                                                 scalars.Select(s => (double)s).ToArray());
        var (outputs, reductions) = Run(device, program, shape, inputs, scalars);
        string where = $"{device.Id}: {program.Name} over [{string.Join(", ", shape)}]";
        for (int o = 0; o < outputs.Length; o++)
            for (long e = 0; e < outputs[o].Length; e++)
                Near(expected.Outputs[o][e], outputs[o][e], relative, absolute, $"{where}: {program.OutputNames[o]}[{e}]\n{program}");
        for (int k = 0; k < reductions.Length; k++)
            Near(expected.Reductions[k], reductions[k], relative, absolute * Math.Sqrt(Count(shape)) + 1e-5,
                 $"{where}: reduction {program.ReductionNames[k]}\n{program}");
    }

    public static void Near(double expected, double actual, double relative, double absolute, string where)
    {
        if (double.IsNaN(expected) && double.IsNaN(actual)) return;
        if (double.IsInfinity(expected) && expected == actual) return;
        double allowed = relative * Math.Abs(expected) + absolute;
        if (!(Math.Abs(actual - expected) <= allowed))
            throw new XunitException($"{where}: expected {expected:R}, got {actual:R} (|error| {Math.Abs(actual - expected):E3} > {allowed:E3})");
    }
}
