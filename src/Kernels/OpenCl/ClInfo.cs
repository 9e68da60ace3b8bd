using System.Text;

namespace Engine.Kernels.OpenCl;

/// <summary>Typed readers over clGetPlatformInfo / clGetDeviceInfo.</summary>
internal static unsafe class ClInfo
{
    public static string PlatformString(nint platform, uint param)
    {
        nuint size;
        ClError.Check(ClNative.clGetPlatformInfo(platform, param, 0, null, &size), "clGetPlatformInfo");
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes)
            ClError.Check(ClNative.clGetPlatformInfo(platform, param, size, p, null), "clGetPlatformInfo");
        return Decode(bytes);
    }

    public static string DeviceString(nint device, uint param)
    {
        nuint size;
        ClError.Check(ClNative.clGetDeviceInfo(device, param, 0, null, &size), "clGetDeviceInfo");
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes)
            ClError.Check(ClNative.clGetDeviceInfo(device, param, size, p, null), "clGetDeviceInfo");
        return Decode(bytes);
    }

    public static T DeviceValue<T>(nint device, uint param) where T : unmanaged
    {
        T value = default;
        ClError.Check(ClNative.clGetDeviceInfo(device, param, (nuint)sizeof(T), &value, null), "clGetDeviceInfo");
        return value;
    }

    /// <summary>Info strings are NUL-terminated and sometimes padded with spaces.</summary>
    private static string Decode(byte[] bytes)
    {
        var length = Array.IndexOf(bytes, (byte)0);
        return Encoding.UTF8.GetString(bytes, 0, length < 0 ? bytes.Length : length).Trim();
    }
}
