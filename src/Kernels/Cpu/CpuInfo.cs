namespace Engine.Kernels.Cpu;

/// <summary>What the host says about its processor, for device names.</summary>
internal static class CpuInfo
{
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
