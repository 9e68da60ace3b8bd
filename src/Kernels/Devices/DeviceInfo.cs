namespace Engine.Kernels.Devices;

/// <summary>
/// One device as <see cref="DeviceRegistry.List"/> describes it. <see cref="Details"/> holds backend-specific
/// facts in display order (platform, driver, OpenCL C version, fp64, ...).
/// </summary>
public sealed record DeviceInfo(string Id, DeviceKind Kind, string Name, long MemoryBytes, IReadOnlyList<KeyValuePair<string, string>> Details)
{
    public override string ToString() =>
        $"{Id}: {Name}, {MemoryBytes / (1024.0 * 1024 * 1024):F1} GiB" +
        string.Concat(Details.Select(d => $", {d.Key} {d.Value}"));
}
