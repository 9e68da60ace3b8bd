using Engine.Kernels.Devices;
using Engine.Tests.Support;
using Xunit;

namespace Engine.Tests.Ops;

public class BadInputTests
{
    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Index_out_of_range_names_position_value_and_range(string backend)
    {
        var device = Backends.Get(backend);
        using var table = device.Allocate(4 * 3);
        using var indices = device.Upload([0, 3, 4, 1]);
        using var rows = device.Allocate(4 * 3);
        var gather = Assert.Throws<ArgumentOutOfRangeException>(() => device.Gather(table, indices, rows, 4, 3));
        Assert.Contains("indices[2] = 4", gather.Message);
        Assert.Contains("< 4", gather.Message);
        var scatter = Assert.Throws<ArgumentOutOfRangeException>(() => device.ScatterAdd(rows, indices, table, 4, 3));
        Assert.Contains("indices[2] = 4", scatter.Message);
        Assert.Equal(new float[12], device.ReadFloats(table));

        using var logits = device.Allocate(2 * 5);
        using var targets = device.Upload([4, -1]);
        using var losses = device.Allocate(2);
        var ce = Assert.Throws<ArgumentOutOfRangeException>(() => device.CrossEntropy(logits, targets, losses, 2, 5));
        Assert.Contains("targets[1] = -1", ce.Message);
        Assert.Contains("< 5", ce.Message);
    }

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Slice_past_the_end_names_the_sizes(string backend)
    {
        var device = Backends.Get(backend);
        using var small = device.Allocate(10);
        using var large = device.Allocate(100);
        var fill = Assert.Throws<ArgumentOutOfRangeException>(() => device.Fill(new BufferSlice(small, 4), 7, 1f));
        Assert.Contains("[4, 11)", fill.Message);
        Assert.Contains("length 10", fill.Message);
        var read = Assert.Throws<ArgumentOutOfRangeException>(() => device.Read<float>(small, new float[11]));
        Assert.Contains("length 10", read.Message);
        var gemm = Assert.Throws<ArgumentOutOfRangeException>(
            () => device.Gemm(GemmSpec.Contiguous(1, 3, 4, 5), large, large, small));
        Assert.Contains("length 10", gemm.Message);
        var copy = Assert.Throws<ArgumentOutOfRangeException>(
            () => device.Copy(new StridedSlice(large, 0, [3, 4], [4, 1]), new StridedSlice(small, 0, [3, 4], [4, 1])));
        Assert.Contains("[3, 4]", copy.Message);
        Assert.Contains("length 10", copy.Message);
    }

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Disposed_buffer_is_rejected(string backend)
    {
        var device = Backends.Get(backend);
        var buffer = device.Allocate(8);
        using var live = device.Allocate(8);
        buffer.Dispose();
        var fill = Assert.Throws<ObjectDisposedException>(() => device.Fill(buffer, 8, 1f));
        Assert.Contains("used after it was disposed", fill.Message);
        Assert.Throws<ObjectDisposedException>(() => device.Softmax(buffer, live, 2, 4, log: false));
        Assert.Throws<ObjectDisposedException>(() => device.Read<float>(buffer, new float[8]));
    }
}
