using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;

namespace Engine.Benchmarks;

/// <summary>
/// What a launch costs the host: a fused add and a fill of 16 floats, issued back to back with no wait between them
/// (a GPU finishes each sooner than the host issues the next). Microseconds per launch (<c>launch_host</c>), the median
/// of several batches. The anchor is the driver's own launch: an empty CUDA kernel launched from C++ took 3.4 µs on the
/// H100 machines lent here, where Engine's fused launch once took 20–24 µs (a source hashed on every launch).
/// </summary>
public static class LaunchSuite
{
    private const long Elements = 16;

    public static IEnumerable<BenchRecord> Run(ComputeDevice device, bool quick)
    {
        // Enough launches that the batch outlasts the JIT's warm-up and the clock's resolution on every backend.
        int launches = quick ? 20_000 : 200_000;
        using var x = device.Allocate(Elements);
        using var y = device.Allocate(Elements);
        var add = new FusedLaunch([Elements], [new StridedSlice(x, 0, [Elements], [1]), new StridedSlice(y, 0, [Elements], [1])], [x], []);
        double MicrosecondsPerLaunch(Action launch) => Timing.MedianSeconds(() =>
        {
            for (int i = 0; i < launches; i++) launch();
        }, device.Synchronize, warmup: 2, reps: 5) / launches * 1e6;
        yield return new BenchRecord("launch_host", device.Id, "fused add of 16 floats",
                                     MicrosecondsPerLaunch(() => device.RunFused(ElementwiseOps.Add, add)), "us");
        yield return new BenchRecord("launch_host", device.Id, "fill of 16 floats",
                                     MicrosecondsPerLaunch(() => device.Fill(x, Elements, 1f)), "us");
    }
}
