using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;

namespace Engine.Models.Checkpoints;

/// <summary>
/// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, N bytes of a JSON
/// object mapping each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the
/// byte buffer) plus an optional "__metadata__" string-to-string map, then the byte buffer. The writer pads the
/// header with spaces to a multiple of 8 and lays tensors out contiguously in the order given; the reader checks
/// every length and offset against the file and rejects anything inconsistent with a <see cref="CheckpointException"/>.
/// </summary>
public sealed class SafeTensorsFile
{
    /// <summary>The header key reserved for file-level metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Largest header accepted, as in the reference implementation (guards against absurd allocations).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly Dictionary<string, SafeTensor> _byName;

    private SafeTensorsFile(List<SafeTensor> tensors, Dictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Tensors in header order.</summary>
    public IReadOnlyList<SafeTensor> Tensors { get; }

    /// <summary>The "__metadata__" map (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Whether a tensor named <paramref name="name"/> is present.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    /// <exception cref="CheckpointException">No such tensor.</exception>
    public SafeTensor this[string name] => _byName.TryGetValue(name, out var tensor)
        ? tensor
        : throw new CheckpointException($"The safetensors file holds no tensor named '{name}' ({Tensors.Count} tensors present).");

    /// <summary>The complete file contents for <paramref name="tensors"/> and optional <paramref name="metadata"/>.</summary>
    /// <exception cref="ArgumentException">Duplicate names, or a tensor named "__metadata__".</exception>
    public static byte[] Serialize(IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in tensors)
        {
            if (tensor.Name == MetadataKey) throw new ArgumentException($"'{MetadataKey}' is reserved and cannot name a tensor.", nameof(tensors));
            if (!names.Add(tensor.Name)) throw new ArgumentException($"Tensor name '{tensor.Name}' appears twice.", nameof(tensors));
        }

        var header = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var tensor in tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType.ToString());
                json.WriteStartArray("shape");
                foreach (int dim in tensor.Shape) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset += tensor.Bytes.Length);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }

        int paddedHeader = (header.WrittenCount + 7) / 8 * 8;
        long total = 8L + paddedHeader + tensors.Sum(t => (long)t.Bytes.Length);
        if (total > Array.MaxLength) throw new ArgumentException($"The tensors need {total} bytes, more than one file buffer can hold.", nameof(tensors));
        var file = new byte[total];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)paddedHeader);
        header.WrittenSpan.CopyTo(file.AsSpan(8));
        file.AsSpan(8 + header.WrittenCount, paddedHeader - header.WrittenCount).Fill((byte)' ');
        int position = 8 + paddedHeader;
        foreach (var tensor in tensors)
        {
            tensor.Bytes.CopyTo(file.AsSpan(position));
            position += tensor.Bytes.Length;
        }
        return file;
    }

    /// <summary>Writes a safetensors file (not atomically; <see cref="CheckpointStore"/> adds that).</summary>
    public static void Write(string path, IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        File.WriteAllBytes(path, Serialize(tensors, metadata));

    /// <summary>Reads and validates a safetensors file.</summary>
    /// <exception cref="CheckpointException">The file is missing, unreadable, truncated or inconsistent.</exception>
    public static SafeTensorsFile Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(ReadAllBytes(path, "safetensors file"), path);
    }

    /// <summary>Validates and decodes the bytes of a safetensors file; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="CheckpointException">The bytes are truncated or inconsistent.</exception>
    public static SafeTensorsFile Parse(ReadOnlySpan<byte> bytes, string source) => new SafeTensorsParser(source).Parse(bytes);

    internal static byte[] ReadAllBytes(string path, string what)
    {
        if (Directory.Exists(path)) throw new CheckpointException($"{Capitalized(what)} '{path}' is a directory.");
        if (!File.Exists(path)) throw new CheckpointException($"{Capitalized(what)} '{path}' not found.");
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{Capitalized(what)} '{path}' cannot be read: {e.Message}");
        }
    }

    internal static SafeTensorsFile Create(List<SafeTensor> tensors, Dictionary<string, string> metadata) => new(tensors, metadata);

    private static string Capitalized(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
