using System.Runtime.Intrinsics;

namespace Engine.Kernels.Cpu;

/// <summary>What the host says about its processor, for device names.</summary>
internal static class CpuInfo
{
    /// <summary>
    /// The widest SIMD vectors the JIT runs natively, which the cpu kernels are compiled for: "512-bit" (AVX-512), "256-bit"
    /// (AVX2, or AVX-512 hidden with DOTNET_EnableAVX512=0), "128-bit" or "none".
    /// </summary>
    public static string VectorWidth() =>
        Vector512.IsHardwareAccelerated ? "512-bit" : Vector256.IsHardwareAccelerated ? "256-bit"
        : Vector128.IsHardwareAccelerated ? "128-bit" : "none";

    /// <summary>The "model name" line of /proc/cpuinfo, or "cpu" where there is none (non-Linux hosts).</summary>
    public static string ModelName()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (!line.StartsWith("model name", StringComparison.Ordinal)) continue;
                var colon = line.IndexOf(':');
                var model = colon < 0 ? "" : line[(colon + 1)..].Trim();
                if (model.Length > 0) return model;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return "cpu";
    }
}
