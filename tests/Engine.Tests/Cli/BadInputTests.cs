using Engine.Cli;
using Xunit;

namespace Engine.Tests.Cli;

/// <summary>Every kind of bad input ends in one "engine: error:" line naming the culprit, and a non-zero exit.</summary>
public sealed class BadInputTests
{
    [Fact]
    public void DataFilesThatCannotBeTrainedOnAreNamed()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        var missing = Path.Combine(dir.Path, "missing.txt");
        CliRun.Of(TinyRun.Args(outDir, 5, "--data", missing)).SingleErrorLine(missing, "not found");
        var empty = dir.File("empty.txt", "");
        CliRun.Of(TinyRun.Args(outDir, 5, "--data", empty)).SingleErrorLine(empty, "empty");
        var binary = dir.File("binary.txt");
        File.WriteAllBytes(binary, [0x68, 0x69, 0x0A, 0xFF, 0xFE, 0x00]);
        CliRun.Of(TinyRun.Args(outDir, 5, "--data", binary)).SingleErrorLine(binary, "not valid UTF-8", "line 2");
        var shortText = dir.File("short.txt", "to be or not");
        CliRun.Of(TinyRun.Args(outDir, 5, "--data", shortText)).SingleErrorLine(shortText, "fewer than blockSize + 1");
        var directory = Path.Combine(dir.Path, "adir");
        Directory.CreateDirectory(directory);
        CliRun.Of(TinyRun.Args(outDir, 5, "--data", directory)).SingleErrorLine(directory, "is a directory");
        Assert.False(Directory.Exists(outDir), "a refused run must not create its out dir");
    }

    [Fact]
    public void SourceErrorsNameTheSourceAndOnlyItsTrainSplitMustHoldABlock()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data.txt", string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 60)));
        var missing = Path.Combine(dir.Path, "nope.txt");
        var line = CliRun.Of(TinyRun.Args(Path.Combine(dir.Path, "a"), 5, "--data", data, "--optim", "sgg", "--source", missing))
            .SingleErrorLine($"--source {missing}: ", "not found");
        Assert.DoesNotContain($"{data}:", line);
        var tiny = dir.File("tiny.txt", "the lazy dog");
        CliRun.Of(TinyRun.Args(Path.Combine(dir.Path, "b"), 5, "--data", data, "--optim", "sgg", "--source", tiny))
            .SingleErrorLine($"--source {tiny}: The train split has", "fewer than blockSize + 1 = 17");
        // 40 characters: a train split of 36 holds a 16-token block, the 4 left for a val split do not, and need not.
        var shortSource = dir.File("short.txt", "the quick brown fox jumps over the lazy");
        var run = CliRun.Of(TinyRun.Args(Path.Combine(dir.Path, "c"), 5, "--data", data, "--optim", "sgg", "--source", shortSource));
        Assert.True(run.ExitCode == 0, run.Error);
    }

    [Fact]
    public void ValidationFileErrorsNameTheFlagAndTheFile()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data.txt", string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 60)));
        var missing = Path.Combine(dir.Path, "nope.txt");
        var line = CliRun.Of(TinyRun.Args(Path.Combine(dir.Path, "a"), 5, "--data", data, "--val-data", missing))
            .SingleErrorLine($"--val-data {missing}: ", "not found");
        Assert.DoesNotContain($"{data}:", line);
        var tiny = dir.File("tiny.txt", "the lazy dog");
        CliRun.Of(TinyRun.Args(Path.Combine(dir.Path, "b"), 5, "--data", data, "--val-data", tiny))
            .SingleErrorLine($"--val-data {tiny}: The val split has 12 tokens", "fewer than blockSize + 1 = 17");
        CliRun.Of(TinyRun.Args(Path.Combine(dir.Path, "c"), 5, "--data", data, "--val-data", "")).SingleErrorLine("--val-data");
        // All of --data is trained on: 17 characters hold a 16-token block and its target; their first 90% would not.
        var shortData = dir.File("short.txt", "the quick brown f");
        CliRun.Of(TinyRun.Args(Path.Combine(dir.Path, "e"), 5, "--data", shortData)).SingleErrorLine(shortData, "fewer than blockSize + 1");
        var run = CliRun.Of(TinyRun.Args(Path.Combine(dir.Path, "d"), 5, "--data", shortData, "--val-data", data));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "a")), "a refused run must not create its out dir");
    }

    [Theory]
    [InlineData("gpu", "no device 'gpu'")]
    [InlineData("opencl:9", "no device 'opencl:9'")]
    [InlineData("cpu:1", "no device 'cpu:1'")]
    public void UnknownDevicesAreNamedWithTheAvailableOnes(string device, string fragment)
    {
        using var dir = new TempDirectory();
        CliRun.Of(TinyRun.Args(Path.Combine(dir.Path, "run"), 5, "--device", device)).SingleErrorLine(fragment, "Available: cpu");
    }

    [Theory]
    [InlineData(new[] { "--batch-size", "0" }, "--batch-size must be > 0")]
    [InlineData(new[] { "--width", "30", "--heads", "4" }, "--width 30 must be divisible by --heads 4")]
    [InlineData(new[] { "--beta2", "1.5" }, "--beta2 must be in [0, 1)")]
    [InlineData(new[] { "--warmup-iters", "500" }, "--warmup-iters 500 must not exceed --lr-decay-iters 100")]
    [InlineData(new[] { "--tokenizer", "word" }, "--tokenizer must be char or bpe")]
    [InlineData(new[] { "--preset", "huge" }, "--preset: unknown preset 'huge'")]
    public void OutOfRangeOrContradictoryFlagsNameTheFlag(string[] flags, string fragment)
    {
        using var dir = new TempDirectory();
        var run = CliRun.Of(TinyRun.Args(Path.Combine(dir.Path, "run"), 5, flags));
        Assert.Equal(1, run.ExitCode);
        run.SingleErrorLine(fragment);
    }

    [Theory]
    [InlineData("--layers", "four")]
    [InlineData("--lr", "fast")]
    [InlineData("--seed", "-3")]
    [InlineData("--width", "2.5")]
    public void FlagsOfTheWrongTypeAreNamed(string flag, string value) =>
        CliRun.Of("train", flag, value).SingleErrorLine(flag + " must be", $"got '{value}'");

    [Theory]
    [InlineData("--lr", "1e40", "a number from -3.4028235E+38 to 3.4028235E+38")]
    [InlineData("--max-iters", "99999999999", "an integer from -2147483648 to 2147483647")]
    [InlineData("--seed", "18446744073709551616", "a non-negative integer from 0 to 18446744073709551615")]
    public void NumbersBeyondTheirTypeAreOutOfRangeWithTheRange(string flag, string value, string range) =>
        CliRun.Of("train", flag, value).SingleErrorLine($"{flag} is out of range: {value} ({range})");

    [Theory]
    [InlineData(new[] { "compare", "x", "--target", "abc" }, "--target must be a number, got 'abc'", "engine compare --help")]
    [InlineData(new[] { "sample", "--checkpoint", "x", "--seed", "-1" }, "--seed must be a non-negative integer, got '-1'", "engine sample --help")]
    [InlineData(new[] { "sample", "--checkpoint", "x", "--length", "1000000000000" },
        "--length is out of range: 1000000000000 (an integer from -2147483648 to 2147483647)", "engine sample --help")]
    [InlineData(new[] { "eval", "--checkpoint", "x", "--batch-size", "many" }, "--batch-size must be an integer, got 'many'", "engine eval --help")]
    public void TypedFlagsOfEveryCommandSayWhatTheyExpectInPlainWords(string[] args, string message, string help)
    {
        var run = CliRun.Of(args);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        var line = run.SingleErrorLine(message, help);
        Assert.DoesNotContain("System.", line);
    }

    [Theory]
    [InlineData("train", "--data")]
    [InlineData("train", "--out-dir")]
    [InlineData("train", "--config")]
    [InlineData("train", "--source")]
    [InlineData("sample", "--checkpoint")]
    [InlineData("eval", "--checkpoint")]
    [InlineData("eval", "--data", "--checkpoint", "out")]
    public void AnEmptyValueNamesItsFlag(string command, string flag, params string[] others)
    {
        var run = CliRun.Of([command, flag, "", .. others]);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        run.SingleErrorLine($"{flag} needs a value, got an empty string", $"engine {command} --help");
    }

    [Fact]
    public void EmptyPathsFromYamlNameTheirKeys()
    {
        using var dir = new TempDirectory();
        var yaml = dir.File("empty.yaml", "data: \"\"\nout_dir: ''\n");
        CliRun.Of("train", "--config", yaml).SingleErrorLine("--data must name a file", "--out-dir must name a directory", yaml);
        CliRun.Of("train", "--config", yaml, "--resume").SingleErrorLine("--out-dir must name a directory", $"{yaml}:2");
    }

    [Fact]
    public void UnknownFlagsAndMissingValuesAreUsageErrors()
    {
        var unknown = CliRun.Of("train", "--layer", "2");
        Assert.Equal(2, unknown.ExitCode);
        unknown.SingleErrorLine("'--layer'", "engine train --help");
        Assert.Equal(2, CliRun.Of("train", "--layers").ExitCode);
    }

    [Fact]
    public void AnOutDirThatCannotBeCreatedIsNamed()
    {
        using var dir = new TempDirectory();
        var file = dir.File("plain.txt", "not a folder");
        var outDir = Path.Combine(file, "run");
        CliRun.Of(TinyRun.Args(outDir, 5)).SingleErrorLine($"--out-dir '{outDir}' cannot be written");
    }

    [Fact]
    public void AFolderWithoutACompleteCheckpointIsSummarizedOnce()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 5)).ExitCode);
        File.Delete(Path.Combine(outDir, "step-0000005.safetensors"));
        // latest.json and the folder scan both find the same incomplete checkpoint: it is reported once.
        var line = CliRun.Of("eval", "--checkpoint", outDir).SingleErrorLine("No complete checkpoint", "step-0000005");
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(line, "is incomplete"));
        // A folder of unrelated JSON files: three named, the rest counted.
        var other = Path.Combine(dir.Path, "other");
        Directory.CreateDirectory(other);
        for (int i = 0; i < 5; i++) File.WriteAllText(Path.Combine(other, $"notes{i}.json"), "{}");
        CliRun.Of("sample", "--checkpoint", other).SingleErrorLine("notes0.json", "notes2.json", "(and 2 more files like these)");
    }

    [Fact]
    public void AnUnknownDeviceIsNamedWithWhereItWasSet()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        var yaml = dir.File("device.yaml", "layers: 1\ndevice: opencl:99\n");
        CliRun.Of(TinyRun.Args(outDir, 5, "--config", yaml)).SingleErrorLine($"{yaml}:2: key 'device': no device 'opencl:99'");
        Assert.False(Directory.Exists(outDir));

        // A resumed run takes the device from its checkpoint: one this machine lacks is named as the checkpoint's.
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 5)).ExitCode);
        var sidecar = Path.Combine(outDir, "step-0000005.json");
        var root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(sidecar))!;
        root["config"]!["train"]!["device"] = "opencl:99";
        File.WriteAllText(sidecar, root.ToJsonString());
        CliRun.Of("train", "--out-dir", outDir, "--resume", "--max-iters", "10")
            .SingleErrorLine("no device 'opencl:99'", "the device checkpoint 'step-0000005' was trained on; --device picks another");
        var elsewhere = CliRun.Of("train", "--out-dir", outDir, "--resume", "--max-iters", "10", "--device", "cpu");
        Assert.True(elsewhere.ExitCode == 0, elsewhere.Error);
    }

    [Fact]
    public void BadYamlConfigIsNamedByFileLineAndKey()
    {
        using var dir = new TempDirectory();
        var yaml = dir.File("run.yaml", "layers: 2\nlearning_rate: 0.1\n");
        CliRun.Of(TinyRun.Args(Path.Combine(dir.Path, "run"), 5, "--config", yaml)).SingleErrorLine($"{yaml}:2:", "'learning_rate'");
    }

    [Fact]
    public void EvalRejectsTextTheTokenizerCannotEncode()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 5)).ExitCode);
        var foreign = dir.File("foreign.txt", string.Concat(Enumerable.Repeat("Zebra ¿qué? 1234 ", 20)));
        CliRun.Of("eval", "--checkpoint", outDir, "--data", foreign).SingleErrorLine(foreign, "tokenizer");
    }
}
