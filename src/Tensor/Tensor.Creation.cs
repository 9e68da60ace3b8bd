using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;

namespace Engine.Tensors;

public sealed partial class Tensor
{
    public static Tensor Zeros(ComputeDevice device, params int[] shape) => Allocate(device, shape);

    /// <summary>Zeros of <paramref name="dtype"/> (Float32, Int32 or BFloat16).</summary>
    public static Tensor Zeros(ComputeDevice device, DType dtype, params int[] shape) => Allocate(device, shape, dtype);

    public static Tensor Ones(ComputeDevice device, params int[] shape) => Full(device, 1f, shape);

    public static Tensor Full(ComputeDevice device, float value, params int[] shape)
    {
        var t = value == 0f ? Allocate(device, shape) : AllocateForOutput(device, shape);
        if (value != 0f) device.Fill(t.DataSlice, t.Count, value);
        return t;
    }

    /// <summary>[0, 1, ..., count-1] as fp32.</summary>
    public static Tensor Arange(ComputeDevice device, int count) => Arange(device, 0f, count, 1f);

    /// <summary>start, start+step, ... while below <paramref name="stop"/> (above it for a negative step).</summary>
    public static Tensor Arange(ComputeDevice device, float start, float stop, float step)
    {
        if (step == 0f || float.IsNaN(step)) throw new ArgumentException($"Arange: step must be non-zero, got {step}");
        long n = (long)Math.Ceiling((stop - (double)start) / step);
        if (n < 0) n = 0;
        if (n > int.MaxValue) throw new ArgumentException($"Arange: {n} elements is too many for one dimension");
        var t = AllocateForOutput(device, [(int)n]);
        if (n > 0) device.Arange(t.DataSlice, n, start, step);
        return t;
    }

    /// <summary>Uniform in [low, high); element i depends only on (seed, i): the same values on every backend.</summary>
    public static Tensor Uniform(ComputeDevice device, ulong seed, float low, float high, params int[] shape)
    {
        var t = AllocateForOutput(device, shape);
        if (t.Count > 0) device.FillRandom(t.DataSlice, t.Count, seed, RandomDistribution.Uniform, low, high);
        return t;
    }

    /// <summary>Normal(mean, std); element i depends only on (seed, i): the same values on every backend.</summary>
    public static Tensor Normal(ComputeDevice device, ulong seed, float mean, float std, params int[] shape)
    {
        var t = AllocateForOutput(device, shape);
        if (t.Count > 0) device.FillRandom(t.DataSlice, t.Count, seed, RandomDistribution.Normal, mean, std);
        return t;
    }

    public static Tensor FromArray(ComputeDevice device, ReadOnlySpan<float> data, params int[] shape) =>
        FromHost(device, data, shape, DType.Float32);

    public static Tensor FromArray(ComputeDevice device, ReadOnlySpan<int> data, params int[] shape) =>
        FromHost(device, data, shape, DType.Int32);

    private static Tensor FromHost<T>(ComputeDevice device, ReadOnlySpan<T> data, int[] shape, DType dtype) where T : unmanaged
    {
        if (shape.Length == 0 && data.Length != 1) shape = [data.Length];
        ShapeMath.Validate(shape);
        if (ShapeMath.Count(shape) != data.Length)
            throw new ArgumentException($"FromArray: {data.Length} values do not fill shape {ShapeMath.Format(shape)} ({ShapeMath.Count(shape)} elements)");
        var t = AllocateForOutput(device, shape, dtype);
        if (data.Length > 0) device.Write(t.DataSlice, data);
        return t;
    }

    /// <summary>Copies the elements to a new host array in row-major order (a BFloat16 tensor's widened to fp32, exactly).</summary>
    public float[] ToArray()
    {
        if (DType == DType.BFloat16)
        {
            using var wide = Cast(DType.Float32);
            return wide.ToArray();
        }
        RequireDType(DType.Float32, "ToArray");
        return ToHost<float>();
    }

    public int[] ToIntArray()
    {
        RequireDType(DType.Int32, "ToIntArray");
        return ToHost<int>();
    }

    /// <summary>The value of a one-element tensor.</summary>
    public float Item()
    {
        if (Count != 1) throw new InvalidOperationException($"Item: tensor of shape {ShapeMath.Format(_shape)} has {Count} elements, not 1");
        return ToArray()[0];
    }

    private T[] ToHost<T>() where T : unmanaged
    {
        ThrowIfDisposed();
        var result = new T[Count];
        if (result.Length == 0) return result;
        if (IsContiguous)
        {
            Device.Read(DataSlice, result.AsSpan());
            return result;
        }
        using var dense = Contiguous();
        Device.Read(dense.DataSlice, result.AsSpan());
        return result;
    }

    /// <summary>A copy of this tensor on <paramref name="device"/> (through host memory when the devices differ).</summary>
    public Tensor To(ComputeDevice device)
    {
        if (ReferenceEquals(device, Device)) return Clone();
        if (DType == DType.BFloat16)
        {
            using var wide = FromArray(device, ToArray(), _shape);
            return wide.Cast(DType.BFloat16);
        }
        return DType == DType.Int32 ? FromArray(device, ToIntArray(), _shape) : FromArray(device, ToArray(), _shape);
    }

    /// <summary>A dense copy with its own storage (of a BFloat16 tensor, through the fused convert: a signaling NaN comes back quiet).</summary>
    public Tensor Clone()
    {
        if (DType == DType.BFloat16) return Map(ElementwiseOps.Convert(DType, DType), "Clone", [], this);
        var t = AllocateForOutput(Device, _shape, DType);
        if (Count > 0) Device.Copy(Strided, t.Strided);
        return t;
    }
}
