using System.Text;

namespace Engine.Cli.Configuration;

/// <summary>
/// The text of a configuration file, decoded strictly: UTF-8 (a UTF-16 file with its byte order mark, which YAML also
/// allows, is read as such). A stray byte is an error naming where it is, never a silent U+FFFD in a key or value,
/// and a NUL (a binary or preallocated file) is refused before the YAML parser, which would stop reading at it.
/// </summary>
internal static class ConfigFileText
{
    /// <exception cref="UsageException">Not UTF-8 (or BOM-marked UTF-16), or a NUL character.</exception>
    public static string Decode(string path, byte[] bytes)
    {
        var (encoding, start) = EncodingOf(bytes);
        string text;
        try
        {
            text = encoding.GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException e)
        {
            int offset = start + Math.Max(0, e.Index);
            var what = e.BytesUnknown is [var first, ..] ? $"byte 0x{first:X2}" : "byte";
            throw new UsageException(
                $"{path}:{LineAt(bytes, offset)}: not {encoding.WebName.ToUpperInvariant()}: invalid {what} at byte offset {offset}; save the file as UTF-8");
        }
        int nul = text.IndexOf('\0');
        if (nul >= 0)
            throw new UsageException($"{path}:{1 + text.AsSpan(0, nul).Count('\n')}: a NUL character; a YAML file is text (key: value lines)");
        return text;
    }

    private static (Encoding Encoding, int Start) EncodingOf(byte[] bytes) => bytes switch
    {
        [0xEF, 0xBB, 0xBF, ..] => (new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true), 3),
        [0xFF, 0xFE, ..] => (new UnicodeEncoding(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true), 2),
        [0xFE, 0xFF, ..] => (new UnicodeEncoding(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: true), 2),
        _ => (new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true), 0),
    };

    private static int LineAt(byte[] bytes, int offset) => 1 + bytes.AsSpan(0, Math.Min(offset, bytes.Length)).Count((byte)'\n');
}
