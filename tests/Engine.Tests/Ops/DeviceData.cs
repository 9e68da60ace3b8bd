using Engine.Kernels.Devices;

namespace Engine.Tests.Ops;

/// <summary>Moving host arrays to and from a device, and random host data, for op tests.</summary>
internal static class DeviceData
{
    public static DeviceBuffer Upload(this ComputeDevice device, float[] data)
    {
        var buffer = device.Allocate(data.Length);
        device.Write<float>(buffer, data);
        return buffer;
    }

    public static DeviceBuffer Upload(this ComputeDevice device, int[] data)
    {
        var buffer = device.Allocate(data.Length);
        device.Write<int>(buffer, data);
        return buffer;
    }

    public static float[] ReadFloats(this ComputeDevice device, DeviceBuffer buffer, long offset = 0, long count = -1)
    {
        var data = new float[count < 0 ? buffer.Length - offset : count];
        device.Read<float>(new BufferSlice(buffer, offset), data);
        return data;
    }

    public static int[] ReadInts(this ComputeDevice device, DeviceBuffer buffer, long offset = 0, long count = -1)
    {
        var data = new int[count < 0 ? buffer.Length - offset : count];
        device.Read<int>(new BufferSlice(buffer, offset), data);
        return data;
    }

    public static float[] Floats(int seed, long count, float low = -1f, float high = 1f)
    {
        var random = new System.Random(seed);
        var data = new float[count];
        for (long i = 0; i < count; i++) data[i] = low + (high - low) * random.NextSingle();
        return data;
    }

    public static int[] Ints(int seed, long count, int low, int high)
    {
        var random = new System.Random(seed);
        var data = new int[count];
        for (long i = 0; i < count; i++) data[i] = random.Next(low, high);
        return data;
    }
}
