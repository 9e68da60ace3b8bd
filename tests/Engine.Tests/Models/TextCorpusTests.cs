using System.Text;
using Engine.Models.Data;
using Xunit;

namespace Engine.Tests.Models;

public class TextCorpusTests
{
    [Fact]
    public void LoadsUtf8AndDropsByteOrderMark()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var path = dir.File("bom.txt");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("héllo 😀\n")]);

        var corpus = TextCorpus.Load(path);

        Assert.Equal("héllo 😀\n", corpus.Text);
        Assert.Equal(path, corpus.Source);
    }

    [Fact]
    public void LoadsTinyShakespeareExactly()
    {
        var corpus = TextCorpus.Load(ModelTestFiles.ShakespeareFile);

        Assert.Equal(1_115_394, corpus.Text.Length);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var path = dir.File("nope.txt");

        var error = Assert.Throws<DataException>(() => TextCorpus.Load(path));

        Assert.Contains($"'{path}' not found", error.Message);
    }

    [Fact]
    public void DirectoryIsRejected()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();

        var error = Assert.Throws<DataException>(() => TextCorpus.Load(dir.Path));

        Assert.Contains("is a directory", error.Message);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF })]
    public void EmptyFileIsRejected(byte[] contents)
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var path = dir.File("empty.txt");
        File.WriteAllBytes(path, contents);

        var error = Assert.Throws<DataException>(() => TextCorpus.Load(path));

        Assert.Equal($"Data file '{path}' is empty.", error.Message);
    }

    [Theory]
    [InlineData("ab\ncd\né\n", 0xFF, 9, 4, "byte 0xFF is not valid UTF-8 at byte offset 9 (line 4)")]
    [InlineData("x", 0x80, 1, 1, "byte 0x80 is not valid UTF-8 at byte offset 1 (line 1)")]
    [InlineData("€\n", 0xE2, 4, 2, "the file ends inside a multi-byte character at byte offset 4 (line 2)")]
    public void InvalidUtf8NamesFileOffsetAndLine(string validPrefix, byte bad, int offset, int line, string expected)
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var path = dir.File("bad.txt");
        var prefix = Encoding.UTF8.GetBytes(validPrefix);
        Assert.Equal(offset, prefix.Length);
        File.WriteAllBytes(path, [.. prefix, bad, .. (bad == 0xE2 ? Array.Empty<byte>() : "tail"u8.ToArray())]);

        var error = Assert.Throws<DataException>(() => TextCorpus.Load(path));

        Assert.Equal($"Data file '{path}' is not valid UTF-8: {expected}.", error.Message);
        Assert.Contains($"(line {line})", error.Message);
    }
}
