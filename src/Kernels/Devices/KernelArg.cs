namespace Engine.Kernels.Devices;

/// <summary>
/// One argument of a GPU kernel launch. Convention for every portable kernel: a buffer operand is
/// passed as two parameters, the buffer and its element offset (Int64), because OpenCL 1.2 cannot
/// offset a cl_mem handle.
/// </summary>
public readonly struct KernelArg
{
    public enum ArgKind { Buffer, Int64, Int32, Float32, LocalBytes }

    public ArgKind Kind { get; }
    public DeviceBuffer? Buffer { get; }
    public long Value { get; }
    public float FloatValue { get; }

    private KernelArg(ArgKind kind, DeviceBuffer? buffer, long value, float f)
    {
        Kind = kind; Buffer = buffer; Value = value; FloatValue = f;
    }

    public static KernelArg Of(DeviceBuffer buffer) => new(ArgKind.Buffer, buffer, 0, 0);
    public static KernelArg Of(long value) => new(ArgKind.Int64, null, value, 0);
    public static KernelArg Of(int value) => new(ArgKind.Int32, null, value, 0);
    public static KernelArg Of(float value) => new(ArgKind.Float32, null, 0, value);
    /// <summary>A __local / __shared__ scratch array of the given size in bytes.</summary>
    public static KernelArg Local(long bytes) => new(ArgKind.LocalBytes, null, bytes, 0);
}
