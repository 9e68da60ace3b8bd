using System.Text.Json;

namespace Engine.Kernels.Profiling;

/// <summary>
/// Kernel records as Chrome trace-event JSON (<c>{"traceEvents":[...]}</c>), which Perfetto (ui.perfetto.dev) and
/// chrome://tracing open. Each record is one complete event (<c>"ph":"X"</c>) with its start and duration in
/// microseconds on the profiler's clock; each device is one named lane (thread) of one process, so kernels of
/// different devices show side by side. The event's args carry the device, bytes, flops and the achieved rates.
/// </summary>
public static class ChromeTrace
{
    private const int ProcessId = 1;

    public static void Write(Stream stream, IEnumerable<KernelRecord> records, string processName = "engine")
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(processName);
        var ordered = records.OrderBy(r => r.StartNs).ToArray();
        var lanes = ordered.Select(r => r.Device).Distinct().Select((device, i) => (device, i + 1)).ToDictionary();

        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
        json.WriteStartObject();
        json.WriteString("displayTimeUnit", "ms");
        json.WriteStartArray("traceEvents");
        Metadata(json, "process_name", 0, processName);
        foreach (var (device, lane) in lanes) Metadata(json, "thread_name", lane, device);
        foreach (var r in ordered)
        {
            json.WriteStartObject();
            json.WriteString("name", r.Kernel);
            json.WriteString("cat", "kernel");
            json.WriteString("ph", "X");
            json.WriteNumber("ts", r.StartNs / 1000.0);
            json.WriteNumber("dur", r.DurationNs / 1000.0);
            json.WriteNumber("pid", ProcessId);
            json.WriteNumber("tid", lanes[r.Device]);
            json.WriteStartObject("args");
            json.WriteString("device", r.Device);
            if (r.Work.Bytes > 0)
            {
                json.WriteNumber("bytes", r.Work.Bytes);
                if (r.DurationNs > 0) json.WriteNumber("GB/s", Math.Round((double)r.Work.Bytes / r.DurationNs, 3));
            }
            if (r.Work.Flops > 0)
            {
                json.WriteNumber("flops", r.Work.Flops);
                if (r.DurationNs > 0) json.WriteNumber("GFLOP/s", Math.Round(r.Work.Flops / r.DurationNs, 3));
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>Names the process (tid 0) or a device lane: a metadata event ("ph":"M").</summary>
    private static void Metadata(Utf8JsonWriter json, string kind, int lane, string name)
    {
        json.WriteStartObject();
        json.WriteString("name", kind);
        json.WriteString("ph", "M");
        json.WriteNumber("pid", ProcessId);
        json.WriteNumber("tid", lane);
        json.WriteStartObject("args");
        json.WriteString("name", name);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
