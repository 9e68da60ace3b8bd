using System.Text;
using System.Text.Json.Nodes;
using Engine.Models.Checkpoints;
using Engine.Models.Data;
using Engine.Models.Text;
using Xunit;

namespace Engine.Tests.Models;

public class CheckpointStoreTests
{
    [Fact]
    public void SavesAndLoadsEverything()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var store = new CheckpointStore(dir.File("run"));
        var tensors = Tensors(seed: 1);
        var manifest = Manifest(step: 250);

        store.Save("step-250", manifest, tensors);
        var loaded = store.Load("step-250");

        SafeTensorsTests.AssertSameTensors(tensors, loaded.Weights.Tensors);
        Assert.Equal(250, loaded.Manifest.Step);
        Assert.Equal(manifest.Tokenizer, loaded.Manifest.Tokenizer);
        Assert.Equal(manifest.RngStates, loaded.Manifest.RngStates);
        Assert.True(JsonNode.DeepEquals(manifest.Config, loaded.Manifest.Config));
        Assert.True(JsonNode.DeepEquals(manifest.Optimizer, loaded.Manifest.Optimizer));
        Assert.True(JsonNode.DeepEquals(manifest.Extra, loaded.Manifest.Extra));
        Assert.Equal("step-250", store.LoadLatest()!.Name);
        Assert.Equal(64, loaded.WeightsSha256.Length);
        // The weights are a plain safetensors file any reader can open.
        Assert.Equal(tensors[0].ToSingles(), SafeTensorsFile.Read(store.WeightsPath("step-250"))["model.wte"].ToSingles());
        var rebuilt = Tokenizer.FromSpec(loaded.Manifest.Tokenizer);
        Assert.Equal("to be", rebuilt.Decode(rebuilt.Encode("to be")));
    }

    [Fact]
    public void LatestFollowsTheLastSave()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var store = new CheckpointStore(dir.Path);
        Assert.Null(store.LoadLatest());
        Assert.Null(new CheckpointStore(dir.File("never-created")).LoadLatest());

        store.Save("step-2", Manifest(2), Tensors(2));
        store.Save("step-1", Manifest(1), Tensors(1));

        Assert.Equal("step-1", store.LoadLatest()!.Name);
        Assert.Contains("\"step-1\"", File.ReadAllText(dir.File(CheckpointStore.LatestFileName)));
    }

    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(1, 0.5)]
    [InlineData(1, 0.999)]
    [InlineData(2, 0.0)]
    [InlineData(2, 0.5)]
    [InlineData(3, 0.5)]
    public void CrashMidWriteLeavesThePreviousCheckpointLoadable(int failingWrite, double fraction)
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var store = new CheckpointStore(dir.Path);
        var previous = Tensors(seed: 1);
        store.Save("step-1", Manifest(1), previous);

        int writes = 0;
        store.WrapWrites = stream => ++writes == failingWrite ? new CrashingStream(stream, fraction) : stream;
        Assert.Throws<IOException>(() => store.Save("step-2", Manifest(2), Tensors(seed: 2)));
        store.WrapWrites = null;

        var latest = store.LoadLatest()!;
        Assert.Equal("step-1", latest.Name);
        SafeTensorsTests.AssertSameTensors(previous, latest.Weights.Tensors);
        Assert.Empty(Directory.EnumerateFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));
        if (failingWrite == 3) Assert.Equal(2, store.Load("step-2").Manifest.Step);
        else Assert.Throws<CheckpointException>(() => store.Load("step-2"));
    }

    [Fact]
    public void CrashWhileOverwritingKeepsTheOldContents()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var store = new CheckpointStore(dir.Path);
        var old = Tensors(seed: 1);
        store.Save("last", Manifest(1), old);

        store.WrapWrites = stream => new CrashingStream(stream, 0.5);
        Assert.Throws<IOException>(() => store.Save("last", Manifest(2), Tensors(seed: 2)));
        store.WrapWrites = null;

        var loaded = store.LoadLatest()!;
        Assert.Equal(1, loaded.Manifest.Step);
        SafeTensorsTests.AssertSameTensors(old, loaded.Weights.Tensors);
    }

    [Fact]
    public void DamagedLatestFallsBackToTheNewestCompleteCheckpoint()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var store = new CheckpointStore(dir.Path);
        store.Save("step-1", Manifest(1), Tensors(1));
        store.Save("step-5", Manifest(5), Tensors(5));
        store.Save("step-9", Manifest(9), Tensors(9));
        File.WriteAllText(dir.File(".step-9.json.0123.tmp"), "half a sidecar");
        FlipLastByte(store.WeightsPath("step-9"));

        Assert.Equal("step-5", store.LoadLatest()!.Name);

        FlipLastByte(store.WeightsPath("step-5"));
        File.Delete(store.SidecarPath("step-1"));
        var error = Assert.Throws<CheckpointException>(() => store.LoadLatest());
        Assert.StartsWith($"No complete checkpoint in '{dir.Path}'", error.Message);
        Assert.Contains("step-9", error.Message);
        Assert.Contains("step-1", error.Message);
    }

    [Fact]
    public void IncompleteOrMismatchedPairsAreRejected()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var store = new CheckpointStore(dir.Path);
        store.Save("a", Manifest(1), Tensors(1));
        store.Save("b", Manifest(2), Tensors(2));

        Assert.Contains("not found", Assert.Throws<CheckpointException>(() => store.Load("c")).Message);

        File.Copy(store.WeightsPath("b"), store.WeightsPath("a"), overwrite: true);
        var mismatch = Assert.Throws<CheckpointException>(() => store.Load("a"));
        Assert.Contains("does not match its sidecar", mismatch.Message);
        Assert.Contains(store.WeightsPath("a"), mismatch.Message);

        File.Delete(store.SidecarPath("b"));
        Assert.Contains("sidecar", Assert.Throws<CheckpointException>(() => store.Load("b")).Message);
        Assert.Contains("incomplete", Assert.Throws<CheckpointException>(() => store.Load("b")).Message);

        store.Save("c", Manifest(3), Tensors(3));
        File.Delete(store.WeightsPath("c"));
        Assert.Contains("weights", Assert.Throws<CheckpointException>(() => store.Load("c")).Message);
    }

    [Theory]
    [InlineData("not json at all", "is not valid JSON")]
    [InlineData("{\"hello\": 1}", "is not an Engine checkpoint sidecar")]
    [InlineData("[1, 2]", "is not an Engine checkpoint sidecar")]
    [InlineData("{\"format\": \"engine-checkpoint\", \"formatVersion\": 2}", "format version 2; this build reads version 1")]
    [InlineData("{\"format\": \"engine-checkpoint\", \"formatVersion\": 1}", "lacks \"weights\"")]
    public void ForeignOrWrongVersionSidecarIsRejected(string sidecar, string reason)
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var store = new CheckpointStore(dir.Path);
        store.Save("a", Manifest(1), Tensors(1));
        File.WriteAllText(store.SidecarPath("a"), sidecar);

        var error = Assert.Throws<CheckpointException>(() => store.Load("a"));

        Assert.Contains(store.SidecarPath("a"), error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void CorruptFieldsInSidecarAreNamed()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var store = new CheckpointStore(dir.Path);
        store.Save("a", Manifest(1), Tensors(1));
        var json = JsonNode.Parse(File.ReadAllText(store.SidecarPath("a")))!.AsObject();
        json["rng"]!["train-sampler"] = "xyz";
        File.WriteAllText(store.SidecarPath("a"), json.ToJsonString());

        Assert.Contains("rng.train-sampler", Assert.Throws<CheckpointException>(() => store.Load("a")).Message);

        json["rng"] = new JsonObject();
        json["step"] = "ten";
        File.WriteAllText(store.SidecarPath("a"), json.ToJsonString());
        Assert.Contains("\"step\" = \"ten\"", Assert.Throws<CheckpointException>(() => store.Load("a")).Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData("latest")]
    [InlineData("..")]
    public void UnsafeNamesAreRejected(string name)
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        Assert.Throws<ArgumentException>(() => new CheckpointStore(dir.Path).Save(name, Manifest(1), Tensors(1)));
    }

    private static SafeTensor[] Tensors(int seed)
    {
        var rng = new Xoshiro256StarStar((ulong)seed);
        float[] Floats(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        return
        [
            SafeTensor.FromSingles(CheckpointTensorNames.Model("wte"), [7, 3], Floats(21)),
            SafeTensor.FromSingles(CheckpointTensorNames.Model("ln_f.bias"), [3], Floats(3)),
            SafeTensor.FromSingles(CheckpointTensorNames.Optimizer("exp_avg", "wte"), [7, 3], Floats(21)),
            SafeTensor.FromInt32s(CheckpointTensorNames.Optimizer("step", "wte"), [], [seed]),
        ];
    }

    private static CheckpointManifest Manifest(long step) => new()
    {
        Config = new JsonObject { ["n_layer"] = 2, ["n_embd"] = 3, ["dropout"] = 0.1, ["bias"] = true },
        Tokenizer = CharTokenizer.Train("to be or not").ToSpec(),
        Step = step,
        RngStates = new Dictionary<string, RngState>
        {
            ["train-sampler"] = new Xoshiro256StarStar(11).State,
            ["val-sampler"] = new Xoshiro256StarStar(12).State,
        },
        Optimizer = new JsonObject { ["kind"] = "adamw", ["lr"] = 1e-3, ["betas"] = new JsonArray(0.9, 0.95) },
        Extra = new JsonObject { ["best_val_loss"] = 1.4711, ["note"] = "ünïcode" },
    };

    private static void FlipLastByte(string path)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[^1] ^= 0x55;
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>Passes through a fraction of the bytes, then fails like a process killed mid-write.</summary>
    private sealed class CrashingStream(Stream inner, double fraction) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer[..(int)(buffer.Length * fraction)]);
            throw new IOException("Simulated crash mid-write.");
        }

        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
