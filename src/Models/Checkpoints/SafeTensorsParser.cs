using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;

namespace Engine.Models.Checkpoints;

/// <summary>
/// Validating reader behind <see cref="SafeTensorsFile.Parse"/>. Every number from the file is checked before it is
/// used, so a corrupt or hostile file ends in a <see cref="CheckpointException"/> naming the file and the problem,
/// never in an out-of-range read or an unrelated exception.
/// </summary>
internal sealed class SafeTensorsParser(string source)
{
    private sealed record Entry(string Name, SafeTensorDType DType, int[] Shape, long Begin, long End);

    public SafeTensorsFile Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 8)
            throw Fail($"is truncated: {bytes.Length} bytes, shorter than the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > SafeTensorsFile.MaxHeaderBytes)
            throw Fail($"declares a header of {headerLength} bytes, more than the {SafeTensorsFile.MaxHeaderBytes}-byte limit");
        if (headerLength > (ulong)(bytes.Length - 8))
            throw Fail($"declares a header of {headerLength} bytes but only {bytes.Length - 8} bytes follow the length (truncated file?)");
        var header = bytes.Slice(8, (int)headerLength);
        var buffer = bytes[(8 + (int)headerLength)..];

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<Entry>();
        using (var document = ParseJson(header))
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Fail($"has a header that is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name)) throw Fail($"names '{property.Name}' twice in its header");
                if (property.Name == SafeTensorsFile.MetadataKey) ReadMetadata(property.Value, metadata);
                else entries.Add(ReadEntry(property.Name, property.Value, buffer.Length));
            }
        }
        CheckLayout(entries, buffer.Length);

        var tensors = new List<SafeTensor>(entries.Count);
        foreach (var entry in entries)
            tensors.Add(new SafeTensor(entry.Name, entry.DType, entry.Shape, buffer[(int)entry.Begin..(int)entry.End].ToArray()));
        return SafeTensorsFile.Create(tensors, metadata);
    }

    private JsonDocument ParseJson(ReadOnlySpan<byte> header)
    {
        // JsonDocument checks UTF-8 inside strings only when they are read, and then throws
        // InvalidOperationException; checking the whole header first keeps every failure a CheckpointException.
        if (!Utf8.IsValid(header))
        {
            Utf8.ToUtf16(header, new char[header.Length], out int valid, out _, replaceInvalidSequences: false);
            throw Fail($"has a header that is not valid UTF-8 (first bad byte at file offset {8 + valid})");
        }
        try
        {
            return JsonDocument.Parse(header.ToArray());
        }
        catch (JsonException e)
        {
            throw Fail($"has a header that is not valid JSON ({e.Message})");
        }
    }

    private void ReadMetadata(JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail($"has a '{SafeTensorsFile.MetadataKey}' that is a JSON {value.ValueKind.ToString().ToLowerInvariant()}, not an object");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Fail($"has metadata '{item.Name}' that is not a string");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw Fail($"names metadata '{item.Name}' twice");
        }
    }

    private Entry ReadEntry(string name, JsonElement value, int bufferLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail($"describes tensor '{name}' with a JSON {value.ValueKind.ToString().ToLowerInvariant()}, not an object");

        var dtypeText = value.TryGetProperty("dtype", out var dtypeElement) && dtypeElement.ValueKind == JsonValueKind.String
            ? dtypeElement.GetString()!
            : throw Fail($"gives tensor '{name}' no \"dtype\" string");
        if (!SafeTensorDTypes.TryParse(dtypeText, out var dtype))
            throw Fail($"gives tensor '{name}' dtype \"{dtypeText}\"; only F32 and I32 are supported");

        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Fail($"gives tensor '{name}' no \"shape\" array");
        var shape = new int[shapeElement.GetArrayLength()];
        int axis = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt32(out shape[axis]) || shape[axis] < 0)
                throw Fail($"gives tensor '{name}' shape dimension {axis} = {dim.GetRawText()}, not a non-negative 32-bit integer");
            axis++;
        }

        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw Fail($"gives tensor '{name}' no \"data_offsets\" array of two integers");
        long begin = ReadOffset(name, offsets[0]), end = ReadOffset(name, offsets[1]);
        if (begin > end)
            throw Fail($"gives tensor '{name}' data_offsets [{begin}, {end}] that end before they begin");
        if (end > bufferLength)
            throw Fail($"gives tensor '{name}' data_offsets [{begin}, {end}] beyond the {bufferLength}-byte data buffer (truncated file?)");

        long elements = SafeTensor.CountElements(shape);
        long expected = elements < 0 || elements > long.MaxValue / dtype.ElementSize() ? -1 : elements * dtype.ElementSize();
        if (expected != end - begin)
            throw Fail($"gives tensor '{name}' ({dtype}, shape [{string.Join(", ", shape)}]) {end - begin} bytes; " +
                       $"the shape needs {(expected < 0 ? "more than a long can count" : expected.ToString())}");
        return new Entry(name, dtype, shape, begin, end);
    }

    private long ReadOffset(string name, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out long offset) || offset < 0)
            throw Fail($"gives tensor '{name}' data offset {element.GetRawText()}, not a non-negative integer");
        return offset;
    }

    /// <summary>Tensors must tile the buffer exactly: no overlap, no gap, no unclaimed trailing bytes.</summary>
    private void CheckLayout(List<Entry> entries, int bufferLength)
    {
        long expected = 0;
        string previous = "the start of the data buffer";
        foreach (var entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Begin < expected)
                throw Fail($"has tensor '{entry.Name}' at bytes [{entry.Begin}, {entry.End}) overlapping {previous}");
            if (entry.Begin > expected)
                throw Fail($"leaves bytes [{expected}, {entry.Begin}) unused before tensor '{entry.Name}'");
            expected = entry.End;
            previous = $"tensor '{entry.Name}'";
        }
        if (expected != bufferLength)
            throw Fail($"has {bufferLength - expected} bytes after the last tensor that no tensor claims");
    }

    private CheckpointException Fail(string problem) => new($"Safetensors file '{source}' {problem}.");
}
