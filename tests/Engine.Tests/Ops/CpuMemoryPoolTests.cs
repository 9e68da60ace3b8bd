using Engine.Kernels.Cpu;
using Xunit;

namespace Engine.Tests.Ops;

public class CpuMemoryPoolTests
{
    [Fact]
    public void ReleasedBlocksAreReusedByExactSizeAndZeroFilledAgain()
    {
        using var device = new CpuDevice();
        float[] dirty = [1f, 2f, 3f, 4f, 5f];
        var first = device.Allocate(5);
        device.Write<float>(first, dirty);
        first.Dispose();
        using var second = device.Allocate(5);
        var back = new float[5];
        device.Read<float>(second, back);
        Assert.Equal(new float[5], back);
        Assert.Throws<ObjectDisposedException>(() => device.Read<float>(first, back));
    }

    [Fact]
    public void PoolHoldsAtMostItsLimitAndFreesEverythingWhenClosed()
    {
        var pool = new CpuMemoryPool(limitBytes: 1024);
        unsafe
        {
            var a = pool.Rent(512);
            var b = pool.Rent(512);
            var c = pool.Rent(512);
            pool.Return(a, 512);
            pool.Return(b, 512);
            pool.Return(c, 512);            // over the limit: freed, not kept
            Assert.Equal(1024, pool.CachedBytes);
            var again = pool.Rent(512);
            Assert.True(again == b || again == a);
            Assert.Equal(512, pool.CachedBytes);
            pool.Close();
            Assert.Equal(0, pool.CachedBytes);
            pool.Return(again, 512);        // after Close: freed at once
            Assert.Equal(0, pool.CachedBytes);
        }
    }
}
