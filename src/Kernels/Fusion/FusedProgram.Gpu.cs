using System.Collections.Concurrent;
using Engine.Kernels.Devices;
using Engine.Kernels.Profiling;

namespace Engine.Kernels.Fusion;

public sealed partial class FusedProgram
{
    /// <summary>Local size used when no launcher is at hand (and the largest the GPU path ever uses).</summary>
    private const int DefaultLocalSize = 256;

    /// <summary>Reduction work-groups of the sources emitted without a launcher (the fewest a launcher uses).</summary>
    private const int DefaultReductionGroups = 64;

    private readonly ConcurrentDictionary<(KernelDialect Dialect, int Rank, int Local, int Groups), string> _sources = new();

    /// <summary>Per dialect and variant, its file name and kernel names, built once rather than on every launch.</summary>
    private readonly ConcurrentDictionary<(KernelDialect Dialect, int Rank), (string File, string[] Names)> _variantNames = new();

    /// <summary>OpenCL C source of the dense variant (every kernel of the program), without the prelude.</summary>
    public string EmitOpenCl() => Source(KernelDialect.OpenCl, 0, DefaultLocalSize, DefaultReductionGroups);

    /// <summary>OpenCL C source of the strided variant of rank <paramref name="rank"/> (1..8).</summary>
    public string EmitOpenCl(int rank) => Source(KernelDialect.OpenCl, CheckRank(rank), DefaultLocalSize, DefaultReductionGroups);

    /// <summary>CUDA C source of the dense variant, without the prelude.</summary>
    public string EmitCuda() => Source(KernelDialect.Cuda, 0, DefaultLocalSize, DefaultReductionGroups);

    /// <summary>CUDA C source of the strided variant of rank <paramref name="rank"/> (1..8).</summary>
    public string EmitCuda(int rank) => Source(KernelDialect.Cuda, CheckRank(rank), DefaultLocalSize, DefaultReductionGroups);

    /// <summary>Kernel names in a variant's source, in launch order.</summary>
    public IReadOnlyList<string> KernelNames(int rank = 0)
    {
        var stem = KernelStem + CStyleRenderer.VariantSuffix(rank);
        var names = new List<string>();
        for (int level = 1; level <= _graph.LevelCount; level++)
        {
            names.Add($"{stem}_reduce{level}");
            names.Add($"{stem}_finalize{level}");
        }
        if (OutputCount > 0) names.Add($"{stem}_map");
        return names;
    }

    /// <summary>
    /// Runs on a GPU backend: each reduce level is a partial kernel (fixed work-group count) and a finalize
    /// kernel writing the level's values to the launcher's "fusion.reductions" scratch, which later phases read;
    /// then one map kernel writes the outputs. Dense launches index flat; others pass shape and strides.
    /// Each launch tells the profiler its phase name and work (see <see cref="ProfileName"/>).
    /// </summary>
    public void ExecuteOnGpu(FusedLaunch launch, IKernelLauncher launcher)
    {
        ArgumentNullException.ThrowIfNull(launcher);
        var layout = LaunchLayout.Create(this, launch);
        if (layout.Rank > LaunchLayout.MaxRank)
            throw new ArgumentException(
                $"program '{Name}': shape {LaunchLayout.Show(launch.Shape)} still has rank {layout.Rank} after merging dimensions; the GPU path supports {LaunchLayout.MaxRank}");
        int local = Math.Min(DefaultLocalSize, launcher.MaxWorkGroupSize);
        int rank = layout.IsDense ? 0 : layout.Rank;
        int groups = launcher.ReductionGroups;
        var source = Source(launcher.Dialect, rank, local, groups);
        var (file, names) = _variantNames.GetOrAdd((launcher.Dialect, rank), key =>
            (KernelStem + CStyleRenderer.VariantSuffix(key.Rank) + CStyleRenderer.For(key.Dialect).Extension, [.. KernelNames(key.Rank)]));
        // The reduction scratch buffers are the launcher's: hold them for the whole program.
        lock (launcher.ScratchLock)
        {
            DeviceBuffer? reductions = ReductionCount > 0 ? launcher.Scratch("fusion.reductions", ReductionCount) : null;

            var common = new List<KernelArg>();
            for (int i = 0; i < InputCount; i++)
            {
                common.Add(KernelArg.Of(launch.Inputs[i].Buffer));
                common.Add(KernelArg.Of(launch.Inputs[i].Offset));
            }
            if (reductions is not null) { common.Add(KernelArg.Of(reductions)); common.Add(KernelArg.Of(0L)); }
            foreach (var s in launch.Scalars) common.Add(KernelArg.Of(s));
            common.Add(KernelArg.Of(layout.Count));
            if (rank > 0)
            {
                foreach (var d in layout.Shape) common.Add(KernelArg.Of(d));
                foreach (var strides in layout.Strides)
                    foreach (var s in strides) common.Add(KernelArg.Of(s));
            }
            foreach (var c in layout.Contractions)
            {
                common.Add(KernelArg.Of(c.Length));
                common.Add(KernelArg.Of(c.StrideA));
                common.Add(KernelArg.Of(c.StrideB));
            }

            // Work figures walk the graph: only worth it when someone records them.
            bool profile = KernelProfiler.Enabled;
            int k = 0;
            for (int level = 1; level <= _graph.LevelCount; level++)
            {
                int count = _graph.ReductionsOfLevel(level).Length;
                var partials = launcher.Scratch("fusion.partials", (long)groups * count);
                var reduce = launcher.GetKernel(source, file, names[k++]);
                launcher.Launch(reduce, [(long)groups * local], [local],
                    [.. common, KernelArg.Of(partials), KernelArg.Of(0L)], ReduceProfileName(level), profile ? ReduceWork(layout, level, ScalarValues(launch)) : default);
                var finalize = launcher.GetKernel(source, file, names[k++]);
                var dst = launch.Reductions ?? new BufferSlice(reductions!, 0);
                launcher.Launch(finalize, [local], [local],
                    [KernelArg.Of(partials), KernelArg.Of(0L), KernelArg.Of(reductions!), KernelArg.Of(0L),
                     KernelArg.Of(dst.Buffer), KernelArg.Of(dst.Offset), KernelArg.Of(launch.Reductions is null ? 0 : 1)],
                    FinalizeProfileName(level), profile ? FinalizeWork(level, groups) : default);
            }
            if (OutputCount > 0 && layout.Count > 0)
            {
                var map = launcher.GetKernel(source, file, names[k]);
                var args = new List<KernelArg>(common);
                foreach (var o in launch.Outputs) { args.Add(KernelArg.Of(o.Buffer)); args.Add(KernelArg.Of(o.Offset)); }
                long global = (layout.Count + local - 1) / local * local;
                launcher.Launch(map, [global], [local], args.ToArray(), ProfileName, profile ? MapWork(layout, ScalarValues(launch)) : default);
            }
        }
    }

    /// <summary>
    /// For the profiler: a gate coefficient's value where the host knows it (a constant or scalar); one in device memory
    /// is not read back, so its term is counted as read.
    /// </summary>
    private Func<int, float?> ScalarValues(FusedLaunch launch) => id => UniformValue(id, launch.Scalars, _ => null);

    private string Source(KernelDialect dialect, int rank, int local, int groups) =>
        _sources.GetOrAdd((dialect, rank, local, groups), key => CStyleRenderer.For(key.Dialect).Render(this, key.Rank, key.Local, key.Groups));

    private int CheckRank(int rank) => rank is >= 1 and <= LaunchLayout.MaxRank
        ? rank
        : throw new ArgumentOutOfRangeException(nameof(rank), rank, $"program '{Name}': strided variants have rank 1..{LaunchLayout.MaxRank}");
}
