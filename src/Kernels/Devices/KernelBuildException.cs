namespace Engine.Kernels.Devices;

/// <summary>A kernel source failed to compile. <see cref="Exception.Message"/> names file:line of each error.</summary>
public sealed class KernelBuildException : Exception
{
    public KernelBuildException(string sourceName, string message, string buildLog)
        : base($"{sourceName}: kernel build failed: {message}\n{buildLog}")
    {
        SourceName = sourceName;
        BuildLog = buildLog;
    }

    public string SourceName { get; }
    public string BuildLog { get; }
}
