using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Engine.Models.Data;

/// <summary>A training text and where it came from (a file path, or a description of a generated corpus).</summary>
public sealed record TextCorpus(string Source, string Text)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads a UTF-8 text file; a leading byte order mark is dropped.</summary>
    /// <exception cref="DataException">The path is missing, a directory, empty, unreadable or not valid UTF-8.</exception>
    public static TextCorpus Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) throw new DataException($"Data path '{path}' is a directory; expected a UTF-8 text file.");
        if (!File.Exists(path)) throw new DataException($"Data file '{path}' not found (full path: {Path.GetFullPath(path)}).");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"Data file '{path}' cannot be read: {e.Message}");
        }
        int start = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        if (bytes.Length - start == 0) throw new DataException($"Data file '{path}' is empty.");
        try
        {
            return new TextCorpus(path, StrictUtf8.GetString(bytes, start, bytes.Length - start));
        }
        catch (DecoderFallbackException)
        {
            throw new DataException(DescribeInvalidUtf8(path, bytes, start));
        }
    }

    private static string DescribeInvalidUtf8(string path, byte[] bytes, int start)
    {
        Utf8.ToUtf16(bytes.AsSpan(start), new char[bytes.Length], out int valid, out _,
            replaceInvalidSequences: false, isFinalBlock: true);
        int offset = start + valid;
        int line = 1 + bytes.AsSpan(0, offset).Count((byte)'\n');
        var truncated = Rune.DecodeFromUtf8(bytes.AsSpan(offset), out _, out _) == OperationStatus.NeedMoreData;
        var reason = truncated ? "the file ends inside a multi-byte character" : $"byte 0x{bytes[offset]:X2} is not valid UTF-8";
        return $"Data file '{path}' is not valid UTF-8: {reason} at byte offset {offset} (line {line}).";
    }
}
