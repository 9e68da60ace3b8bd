using System.CommandLine;
using Engine.Cli;
using Engine.Cli.Commands;
using Engine.Cli.Configuration;
using Engine.Models.Config;
using Xunit;

namespace Engine.Tests.Cli;

public sealed class ConfigLoaderTests
{
    private static TrainConfig Load(params string[] args)
    {
        var options = new TrainOptions();
        var command = new RootCommand();
        options.AddTo(command);
        var parsed = command.Parse(args);
        Assert.Empty(parsed.Errors);
        return options.ReadConfig(parsed);
    }

    private static UsageException LoadFails(params string[] args) => Assert.Throws<UsageException>(() => Load(args));

    [Fact]
    public void EveryTrainConfigPropertyHasADescribedFlagAndKey()
    {
        Assert.Empty(TrainSettings.Undescribed);
        var properties = typeof(TrainConfig).GetProperties().Where(p => p.CanWrite).Select(p => p.Name).ToArray();
        Assert.Equal(properties.Length, TrainSettings.All.Count);
        Assert.Contains(TrainSettings.All, s => s.Key == "block_size" && s.Option.Name == "--block-size");
        Assert.Contains(TrainSettings.All, s => s.Key == "out_dir" && s.Option.Name == "--out-dir");
        Assert.Contains(TrainSettings.All, s => s.Key == "bpe_vocab" && s.Option.Name == "--bpe-vocab");
    }

    [Fact]
    public void EverySettingIsReadFromItsFlagAndFromItsYamlKey()
    {
        using var dir = new TempDirectory();
        var values = TrainSettings.All.ToDictionary(s => s.Key, s => NonDefaultText(s.ValueIn(TrainConfig.Tiny)));
        var yaml = dir.File("all.yaml", string.Concat(values.Select(kv => $"{kv.Key}: {kv.Value}\n")));
        var fromYaml = YamlConfigFile.Apply(yaml, TrainConfig.Tiny);

        var options = new TrainOptions();
        var command = new RootCommand();
        options.AddTo(command);
        var parsed = command.Parse(values.SelectMany(kv => new[] { "--" + kv.Key.Replace('_', '-'), kv.Value }).ToArray());
        Assert.Empty(parsed.Errors);
        foreach (var setting in TrainSettings.All)
        {
            Assert.True(setting.TryReadFlag(parsed, out var flagValue), setting.Key);
            var expected = Convert.ToString(flagValue, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(values[setting.Key], expected);
            Assert.Equal(flagValue, setting.ValueIn(fromYaml));
            Assert.NotEqual(setting.ValueIn(TrainConfig.Tiny), setting.ValueIn(fromYaml));
        }
    }

    private static string NonDefaultText(object? value) => value switch
    {
        int i => (i + 3).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ulong u => (u + 3).ToString(System.Globalization.CultureInfo.InvariantCulture),
        float f => (f == 0.5f ? 0.25f : 0.5f).ToString(System.Globalization.CultureInfo.InvariantCulture),
        bool b => (!b).ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => "other",
    };

    [Fact]
    public void PresetThenYamlThenFlagsWin()
    {
        using var dir = new TempDirectory();
        var yaml = dir.File("run.yaml", "# a run\nlayers: 2\nwidth: 96\nheads: 3\nlr: 0.002\n");
        var config = Load("--preset", "small", "--config", yaml, "--layers", "3", "--batch-size", "5");
        Assert.Equal(3, config.Layers);                       // flag over YAML
        Assert.Equal(96, config.Width);                       // YAML over preset
        Assert.Equal(3, config.Heads);
        Assert.Equal(0.002f, config.Lr);
        Assert.Equal(5, config.BatchSize);                    // flag over preset
        Assert.Equal(TrainConfig.Small.BlockSize, config.BlockSize); // preset where nothing overrides
        Assert.Equal(TrainConfig.Small.MaxIters, config.MaxIters);
        Assert.Equal(TrainConfig.Tiny, Load());
    }

    [Fact]
    public void YamlNullClearsTheDataFileAndQuotedStringsWork()
    {
        using var dir = new TempDirectory();
        var yaml = dir.File("run.yaml", "data: ~\nout_dir: \"runs/a b\"\n");
        var config = Load("--data", "x.txt", "--config", yaml);
        Assert.Equal("x.txt", config.Data);
        var fromYaml = Load("--config", yaml);
        Assert.Null(fromYaml.Data);
        Assert.Equal("runs/a b", fromYaml.OutDir);
    }

    [Fact]
    public void UnknownYamlKeyNamesFileLineKeyAndSuggestion()
    {
        using var dir = new TempDirectory();
        var yaml = dir.File("run.yaml", "layers: 2\n\nlayerz: 3\n");
        var e = LoadFails("--config", yaml);
        Assert.Contains($"{yaml}:3:", e.Message);
        Assert.Contains("unknown key 'layerz'", e.Message);
        Assert.Contains("did you mean 'layers'", e.Message);
    }

    [Theory]
    [InlineData("layers: four\n", 1, "'layers' must be an integer, got 'four'")]
    [InlineData("heads: 4\nlr: fast\n", 2, "'lr' must be a number, got 'fast'")]
    [InlineData("seed: -1\n", 1, "'seed' must be a non-negative integer")]
    [InlineData("width: 2.5\n", 1, "'width' must be an integer")]
    [InlineData("max_iters: 99999999999\n", 1, "key 'max_iters' is out of range: 99999999999 (an integer from -2147483648 to 2147483647)")]
    [InlineData("lr: 1e39\n", 1, "key 'lr' is out of range: 1e39 (a number from")]
    [InlineData("layers:\n", 1, "key 'layers' must be an integer, got no value")]
    [InlineData("max_iters: ~\n", 1, "key 'max_iters' must be an integer, got '~' (null)")]
    [InlineData("width: 64\nlayers: [1, 2]\n", 2, "'layers' must be a single value")]
    [InlineData("layers: 2\nlayers: 3\n", 2, "Duplicate key layers")]
    [InlineData("- layers\n- 2\n", 1, "expected a mapping")]
    [InlineData("layers: 2\n  width: [\n", 2, "not valid YAML")]
    public void BadYamlNamesFileAndLine(string text, int line, string fragment)
    {
        using var dir = new TempDirectory();
        var yaml = dir.File("bad.yaml", text);
        var e = LoadFails("--config", yaml);
        Assert.True(e.Message.StartsWith($"{yaml}:{line}: ", StringComparison.Ordinal), e.Message);
        Assert.True(e.Message.Contains(fragment, StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void MissingConfigFileAndUnknownPresetAreNamed()
    {
        Assert.Contains("config file 'nope.yaml' not found", LoadFails("--config", "nope.yaml").Message);
        Assert.Contains("--preset: unknown preset 'huge'", LoadFails("--preset", "huge").Message);
    }

    [Theory]
    [InlineData(new byte[0], ": no settings")]
    [InlineData(new byte[] { (byte)'#', (byte)' ', (byte)'x', (byte)'\n' }, ": no settings")]
    [InlineData(new byte[] { (byte)'{', (byte)'}', (byte)'\n' }, ": no settings")]
    [InlineData(new byte[] { (byte)'-', (byte)'-', (byte)'-', (byte)'\n' }, ": no settings")]
    [InlineData(new byte[] { 0xFF, 0xFE }, ": no settings")]
    [InlineData(new byte[] { 0, 0, 0, 0 }, ":1: a NUL character")]
    [InlineData(new byte[] { (byte)'l', (byte)':', (byte)' ', (byte)'1', (byte)'\n', 0xC3, 0x28, (byte)':', (byte)' ', (byte)'2' }, ":2: not UTF-8: invalid byte 0xC3 at byte offset 5")]
    public void AYamlFileThatSetsNothingOrIsNotTextIsRefused(byte[] contents, string fragment)
    {
        using var dir = new TempDirectory();
        var yaml = dir.File("bad.yaml");
        File.WriteAllBytes(yaml, contents);
        var e = LoadFails("--config", yaml);
        Assert.True(e.Message.StartsWith(yaml + fragment, StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void AUtf16YamlFileWithItsByteOrderMarkIsRead()
    {
        using var dir = new TempDirectory();
        var yaml = dir.File("utf16.yaml");
        File.WriteAllText(yaml, "layers: 2\n", System.Text.Encoding.Unicode);
        Assert.Equal(2, Load("--config", yaml).Layers);
    }

    [Fact]
    public void ValidationNamesTheFlagsAtFault()
    {
        Assert.Contains("--width 100 must be divisible by --heads 3", LoadFails("--width", "100", "--heads", "3").Message);
        Assert.Contains("--batch-size must be > 0", LoadFails("--batch-size", "0").Message);
        Assert.Contains("--min-lr", LoadFails("--lr", "0.001", "--min-lr", "0.01").Message);
        Assert.Contains("--optim must be adamw, sgd, cgfm, sgg, spectral or muon", LoadFails("--optim", "lion").Message);
    }

    [Fact]
    public void ValidationProblemFromYamlSaysWhichFileWasApplied()
    {
        using var dir = new TempDirectory();
        var yaml = dir.File("run.yaml", "block_size: 0\n");
        var e = LoadFails("--config", yaml);
        Assert.Contains("--block-size must be > 0", e.Message);
        Assert.Contains(yaml, e.Message);
    }
}
