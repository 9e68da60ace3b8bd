using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Engine.Models.Checkpoints;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Models;

public class SafeTensorsTests
{
    private static readonly Gen<SafeTensor[]> TensorSets =
        Gen.Choose(0, 5).SelectMany(count => Gen.ArrayOf(TensorGen(), count)).Select(Renamed);

    [Fact]
    public void RoundTripsTensorsAndMetadata()
    {
        var cases = TensorSets.SelectMany(tensors => Gen.Elements(true, false).Select(withMetadata => (tensors, withMetadata))).ToArbitrary();

        Prop.ForAll(cases, c =>
        {
            var metadata = c.withMetadata ? new Dictionary<string, string> { ["format"] = "pt", ["note"] = "é \"quoted\"" } : null;
            var bytes = SafeTensorsFile.Serialize(c.tensors, metadata);

            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            Assert.Equal(0UL, headerLength % 8);
            Assert.Equal(8 + (long)headerLength + c.tensors.Sum(t => t.Bytes.Length), bytes.LongLength);
            var file = SafeTensorsFile.Parse(bytes, "memory");
            AssertSameTensors(c.tensors, file.Tensors);
            Assert.Equal(metadata ?? [], file.Metadata);
        }).Check(TestSeeds.Quick(100));
    }

    [Fact]
    public void WriterEmitsTheSpecifiedBytes()
    {
        var bytes = SafeTensorsFile.Serialize([SafeTensor.FromSingles("w", [1], [1.0f]), SafeTensor.FromInt32s("n", [], [-2])]);

        const string json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"n\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[4,8]}}";
        int padded = (json.Length + 7) / 8 * 8;
        byte[] expected =
        [
            (byte)padded, 0, 0, 0, 0, 0, 0, 0,
            .. Encoding.ASCII.GetBytes(json.PadRight(padded, ' ')),
            0x00, 0x00, 0x80, 0x3F, // 1.0f little-endian
            0xFE, 0xFF, 0xFF, 0xFF, // -2 little-endian
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void ReadsAHandBuiltFile()
    {
        // Built per the format description: unpadded header, tensors listed out of buffer order, metadata last.
        var header = "{\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                   + "\"a\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},"
                   + "\"empty\":{\"dtype\":\"F32\",\"shape\":[3,0],\"data_offsets\":[16,16]},"
                   + "\"__metadata__\":{\"k\":\"v\"}}";
        byte[] file =
        [
            (byte)header.Length, 0, 0, 0, 0, 0, 0, 0,
            .. Encoding.ASCII.GetBytes(header),
            0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x00, 0xC0, // 1.5f, -2.0f
            0x07, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, // 7, -1
        ];

        var parsed = SafeTensorsFile.Parse(file, "hand-built");

        Assert.Equal(["b", "a", "empty"], parsed.Tensors.Select(t => t.Name));
        Assert.Equal([7, -1], parsed["b"].ToInt32s());
        Assert.Equal([1.5f, -2.0f], parsed["a"].ToSingles());
        Assert.Equal([1, 2], parsed["a"].Shape);
        Assert.Equal([3, 0], parsed["empty"].Shape);
        Assert.Empty(parsed["empty"].ToSingles());
        Assert.Equal("v", parsed.Metadata["k"]);
        Assert.Contains("no tensor named 'c'", Assert.Throws<CheckpointException>(() => parsed["c"]).Message);
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "dtype \"F16\"; only F32 and I32")]
    [InlineData("[1,2]", 0, "header that is a JSON array, not an object")]
    [InlineData("{\"a\":", 0, "not valid JSON")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "beyond the 4-byte data buffer")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "4 bytes; the shape needs 8")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", 8, "overlapping tensor 'a'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "leaves bytes [0, 4) unused")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "4 bytes after the last tensor")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 8, "end before they begin")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "shape dimension 0 = -1")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, "shape dimension 0 = 1.5")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, "no \"data_offsets\" array of two integers")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,-4]}}", 4, "data offset -4")]
    [InlineData("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "no \"dtype\" string")]
    [InlineData("{\"a\":7}", 0, "describes tensor 'a' with a JSON number")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "names 'a' twice")]
    [InlineData("{\"__metadata__\":{\"k\":1}}", 0, "metadata 'k' that is not a string")]
    [InlineData("{\"__metadata__\":[]}", 0, "'__metadata__' that is a JSON array")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[65536,65536,65536,65536],\"data_offsets\":[0,4]}}", 4, "more than a long can count")]
    public void InconsistentHeaderIsRejectedWithReason(string header, int bufferBytes, string reason)
    {
        byte[] file = [.. LengthPrefix((ulong)Encoding.UTF8.GetByteCount(header)), .. Encoding.UTF8.GetBytes(header), .. new byte[bufferBytes]];

        var error = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Parse(file, "bad.safetensors"));

        Assert.StartsWith("Safetensors file 'bad.safetensors' ", error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void BadLengthPrefixIsRejected()
    {
        Assert.Contains("truncated: 5 bytes", Assert.Throws<CheckpointException>(() => SafeTensorsFile.Parse(new byte[5], "f")).Message);
        byte[] tooLong = [.. LengthPrefix(100), .. "{}"u8];
        Assert.Contains("header of 100 bytes but only 2 bytes follow", Assert.Throws<CheckpointException>(() => SafeTensorsFile.Parse(tooLong, "f")).Message);
        byte[] huge = [.. LengthPrefix(ulong.MaxValue), .. "{}"u8];
        Assert.Contains("more than the 100000000-byte limit", Assert.Throws<CheckpointException>(() => SafeTensorsFile.Parse(huge, "f")).Message);
    }

    [Fact]
    public void HeaderWithInvalidUtf8IsRejected()
    {
        byte[] header = [.. "{\"a"u8, 0xC3, 0x28, .. "\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}"u8];
        byte[] file = [.. LengthPrefix((ulong)header.Length), .. header, 0, 0, 0, 0];

        var error = Assert.Throws<CheckpointException>(() => SafeTensorsFile.Parse(file, "f"));

        Assert.Contains("not valid UTF-8 (first bad byte at file offset 11)", error.Message);
    }

    [Fact]
    public void MissingFileOrDirectoryIsNamed()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var missing = dir.File("none.safetensors");

        Assert.Contains($"'{missing}' not found", Assert.Throws<CheckpointException>(() => SafeTensorsFile.Read(missing)).Message);
        Assert.Contains("is a directory", Assert.Throws<CheckpointException>(() => SafeTensorsFile.Read(dir.Path)).Message);
        SafeTensorsFile.Write(missing, [SafeTensor.FromInt32s("x", [2], [1, 2])]);
        Assert.Equal([1, 2], SafeTensorsFile.Read(missing)["x"].ToInt32s());
    }

    [Fact]
    public void TruncatedFileAlwaysThrowsCheckpointException()
    {
        var cases = TensorSets.SelectMany(tensors =>
        {
            int length = SafeTensorsFile.Serialize(tensors).Length;
            return Gen.Choose(0, length - 1).Select(cut => (tensors, cut));
        }).ToArbitrary();

        Prop.ForAll(cases, c =>
        {
            var bytes = SafeTensorsFile.Serialize(c.tensors);
            Assert.Throws<CheckpointException>(() => SafeTensorsFile.Parse(bytes[..c.cut], "cut"));
        }).Check(TestSeeds.Quick(200));
    }

    [Fact]
    public void FlippedHeaderBytesGiveSameDataOrCheckpointException()
    {
        var cases = TensorSets.SelectMany(tensors =>
        {
            var bytes = SafeTensorsFile.Serialize(tensors);
            int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            var flip = Gen.Choose(0, headerEnd - 1).SelectMany(at => Gen.Choose(1, 255).Select(mask => (at, (byte)mask)));
            return Gen.Choose(1, 3).SelectMany(n => Gen.ArrayOf(flip, n)).Select(flips => (tensors, flips));
        }).ToArbitrary();

        int parsedAfterFlip = 0;
        Prop.ForAll(cases, c =>
        {
            var bytes = SafeTensorsFile.Serialize(c.tensors);
            foreach (var (at, mask) in c.flips) bytes[at] ^= mask;
            SafeTensorsFile parsed;
            try
            {
                parsed = SafeTensorsFile.Parse(bytes, "flipped");
            }
            catch (CheckpointException)
            {
                return;
            }
            parsedAfterFlip++;
            // A flip can survive (a changed name or metadata, F32 <-> I32, a permuted shape) but never move data.
            Assert.Equal(c.tensors.Length, parsed.Tensors.Count);
            for (int i = 0; i < c.tensors.Length; i++) Assert.True(c.tensors[i].Bytes.SequenceEqual(parsed.Tensors[i].Bytes));
        }).Check(TestSeeds.Quick(500));
        Assert.True(parsedAfterFlip < 500, "Every flipped file parsed: the reader checks nothing.");
    }

    [Fact]
    public void WriterRejectsReservedAndDuplicateNamesAndBadShapes()
    {
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Serialize([SafeTensor.FromSingles("__metadata__", [1], [1f])]));
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Serialize([SafeTensor.FromSingles("a", [1], [1f]), SafeTensor.FromSingles("a", [1], [2f])]));
        Assert.Contains("needs 6 elements; got 5", Assert.Throws<ArgumentException>(() => SafeTensor.FromSingles("a", [2, 3], new float[5])).Message);
        Assert.Contains("is F32, not I32", Assert.Throws<InvalidOperationException>(() => SafeTensor.FromSingles("a", [1], [1f]).ToInt32s()).Message);
    }

    internal static void AssertSameTensors(IReadOnlyList<SafeTensor> expected, IReadOnlyList<SafeTensor> actual)
    {
        Assert.Equal(expected.Select(t => (t.Name, t.DType, string.Join(",", t.Shape))), actual.Select(t => (t.Name, t.DType, string.Join(",", t.Shape))));
        for (int i = 0; i < expected.Count; i++) Assert.True(expected[i].Bytes.SequenceEqual(actual[i].Bytes), $"Tensor '{expected[i].Name}' bytes differ.");
    }

    internal static Gen<SafeTensor> TensorGen() =>
        Gen.Choose(0, 3).SelectMany(rank =>
            Gen.ArrayOf(Gen.Frequency((1, Gen.Constant(0)), (6, Gen.Choose(1, 7))), rank).SelectMany(shape =>
            {
                int count = shape.Aggregate(1, (a, b) => a * b);
                return Gen.Elements(true, false).SelectMany(isFloat => isFloat
                    ? Gen.ArrayOf(ArbMap.Default.GeneratorFor<float>(), count).Select(v => SafeTensor.FromSingles("t", shape, v))
                    : Gen.ArrayOf(ArbMap.Default.GeneratorFor<int>(), count).Select(v => SafeTensor.FromInt32s("t", shape, v)));
            }));

    private static SafeTensor[] Renamed(SafeTensor[] tensors) =>
        tensors.Select((t, i) => t.DType == SafeTensorDType.F32
            ? SafeTensor.FromSingles($"model.layer{i}.wé", t.Shape.ToArray(), t.ToSingles())
            : SafeTensor.FromInt32s($"optim.step.{i}", t.Shape.ToArray(), t.ToInt32s())).ToArray();

    private static byte[] LengthPrefix(ulong length)
    {
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, length);
        return prefix;
    }
}
