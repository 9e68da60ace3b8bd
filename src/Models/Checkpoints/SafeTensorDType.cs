namespace Engine.Models.Checkpoints;

/// <summary>Element types this engine stores in safetensors files, named as in the format's header.</summary>
public enum SafeTensorDType
{
    F32,
    I32,
}

internal static class SafeTensorDTypes
{
    public static int ElementSize(this SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.F32 or SafeTensorDType.I32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown safetensors dtype."),
    };

    public static bool TryParse(string text, out SafeTensorDType dtype)
    {
        switch (text)
        {
            case "F32":
                dtype = SafeTensorDType.F32;
                return true;
            case "I32":
                dtype = SafeTensorDType.I32;
                return true;
            default:
                dtype = default;
                return false;
        }
    }
}
