using System.Diagnostics;
using System.Collections.Concurrent;
using Engine.Kernels.Cpu;
using Engine.Kernels.Devices;
using Engine.Kernels.Profiling;

namespace Engine.Kernels.Fusion;

public sealed partial class FusedProgram
{
    /// <summary>
    /// Outputs at least this large, written to buffers no input reads, use non-temporal stores: they would
    /// not stay in the caches anyway (32 MiB L3 here), and streaming saves the read-for-ownership of every
    /// line. In-place outputs keep plain stores: their lines were just read into the cache.
    /// </summary>
    private const long StreamingBytes = 32L << 20;

    /// <summary>Compiled CPU row kernels, per phase and input access pattern.</summary>
    private readonly ConcurrentDictionary<CpuKernelKey, CpuRowKernel> _cpuKernels = new();

    /// <summary>A row kernel's phase, per-input access pattern and store kind, compared by value: a launch's lookup formats nothing.</summary>
    private readonly struct CpuKernelKey(int level, CpuInputMode[] modes, bool streaming) : IEquatable<CpuKernelKey>
    {
        private readonly int _level = level;
        private readonly CpuInputMode[] _modes = modes;
        private readonly bool _streaming = streaming;

        public bool Equals(CpuKernelKey other) =>
            _level == other._level && _streaming == other._streaming && _modes.AsSpan().SequenceEqual(other._modes);

        public override bool Equals(object? obj) => obj is CpuKernelKey other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            hash.Add(_level);
            hash.Add(_streaming);
            foreach (var mode in _modes) hash.Add(mode);
            return hash.ToHashCode();
        }
    }

    /// <summary>
    /// Runs on the CPU backend: every buffer must be a <see cref="CpuBuffer"/>. Outputs may alias inputs
    /// read at the same index (in-place updates); other overlaps are undefined.
    /// </summary>
    public unsafe void ExecuteOnCpu(FusedLaunch launch)
    {
        var layout = LaunchLayout.Create(this, launch);
        var inputs = new nint[InputCount];
        for (int i = 0; i < InputCount; i++)
            inputs[i] = Address(Host(launch.Inputs[i].Buffer, i, output: false), launch.Inputs[i].Offset, _graph.InputSizes[i]);
        var outputs = new nint[OutputCount];
        for (int o = 0; o < OutputCount; o++)
            outputs[o] = Address(Host(launch.Outputs[o].Buffer, o, output: true), launch.Outputs[o].Offset, _graph.OutputSizes[o]);
        var modes = layout.Strides.Select(s => s[^1] switch
        {
            1 => CpuInputMode.Contiguous,
            0 => CpuInputMode.Broadcast,
            _ => CpuInputMode.Strided,
        }).ToArray();
        var parameters = new float[ScalarCount + ReductionCount];
        launch.Scalars.CopyTo(parameters, 0);
        var runner = new CpuPhaseRunner(layout, inputs, outputs, parameters, _graph.InputSizes, _graph.OutputSizes);

        for (int level = 1; level <= _graph.LevelCount; level++)
        {
            var ks = _graph.ReductionsOfLevel(level);
            var kernel = CpuKernel(level, ks, modes, streaming: false);
            var isSum = ks.Select(k => _graph.Nodes[_graph.ReductionNodes[k]].Op == FxOp.Sum).ToArray();
            long started = KernelProfiler.StartHost();
            var totals = runner.Reduce(kernel, isSum);
            // The work is worked out from the graph after the clock stops: it is not the kernel's time.
            if (started != 0)
                KernelProfiler.RecordHost(started, Stopwatch.GetTimestamp(), ReduceProfileName(level), DeviceId(launch),
                                          ReduceWork(layout, level, HostValues(launch, layout, inputs, parameters)));
            for (int j = 0; j < ks.Length; j++) parameters[ScalarCount + ks[j]] = (float)totals[j];
        }
        if (OutputCount > 0 && layout.Count > 0)
        {
            var kernel = CpuKernel(0, [], modes, streaming: Streams(launch, layout));
            long started = KernelProfiler.StartHost();
            runner.Map(kernel);
            if (started != 0)
                KernelProfiler.RecordHost(started, Stopwatch.GetTimestamp(), ProfileName, DeviceId(launch), MapWork(layout, HostValues(launch, layout, inputs, parameters)));
        }
        if (launch.Reductions is { } red && ReductionCount > 0)
        {
            var dst = Host(red.Buffer, "the reductions slice").Pointer + red.Offset;
            for (int k = 0; k < ReductionCount; k++) dst[k] = parameters[ScalarCount + k];
        }
    }

    /// <summary>
    /// For the profiler: a gate coefficient's value where it is one value for the whole launch (host memory here). Made
    /// only for a recorded launch, so an unprofiled one allocates no closure.
    /// </summary>
    private unsafe Func<int, float?> HostValues(FusedLaunch launch, LaunchLayout layout, nint[] inputs, float[] parameters) =>
        id => UniformValue(id, launch.Scalars, n => n.Op == FxOp.Input
            ? (layout.Strides[n.Index].All(st => st == 0)
                ? _graph.InputStorage[n.Index] == DType.BFloat16 ? DTypes.FromBFloat16(*(ushort*)inputs[n.Index]) : *(float*)inputs[n.Index]
                : null)
            : parameters[ScalarCount + n.Index]);

    /// <summary>The device the launch's buffers belong to, for profiler records.</summary>
    private static string DeviceId(FusedLaunch launch) =>
        launch.Inputs.Length > 0 ? launch.Inputs[0].Buffer.Device.Id
        : launch.Outputs.Length > 0 ? launch.Outputs[0].Buffer.Device.Id
        : "cpu";

    /// <summary>Where element <paramref name="offset"/> of a buffer of <paramref name="elementSize"/>-byte elements lies.</summary>
    private static unsafe nint Address(CpuBuffer buffer, long offset, int elementSize) =>
        (nint)((byte*)buffer.Pointer + offset * elementSize);

    // bfloat16 outputs always take plain stores (the streaming helpers are fp32-only); they count toward the threshold.
    private bool Streams(FusedLaunch launch, LaunchLayout layout) =>
        layout.Count * _graph.OutputBytesPerElement >= StreamingBytes
        && !launch.Outputs.Any(o => launch.Inputs.Any(i => ReferenceEquals(i.Buffer, o.Buffer)));

    private CpuRowKernel CpuKernel(int level, int[] reductions, CpuInputMode[] modes, bool streaming)
    {
        return _cpuKernels.GetOrAdd(new CpuKernelKey(level, modes, streaming), _ => CpuKernelCompiler.Compile(_graph, CpuVectorIsa.Best,
            level == 0 ? _graph.OutputNodes : [], reductions, modes, streaming));
    }

    private CpuBuffer Host(Devices.DeviceBuffer buffer, int index, bool output) => buffer as CpuBuffer
        ?? Host(buffer, output ? $"output {index} ('{_graph.Outputs[index].Name}')" : $"input {index} ('{_graph.InputNames[index]}')");

    private CpuBuffer Host(Devices.DeviceBuffer buffer, string what) => buffer as CpuBuffer
        ?? throw new ArgumentException(
            $"program '{Name}': {what} is a {buffer.GetType().Name} on '{buffer.Device.Name}'; ExecuteOnCpu needs cpu buffers");
}
