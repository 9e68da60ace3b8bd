using System.CommandLine;
using Engine.Models.Config;

namespace Engine.Cli.Configuration;

/// <summary>
/// Builds the <see cref="TrainConfig"/> of a run from three layers, later ones winning: the preset
/// (<c>--preset tiny|small</c>, default tiny), the YAML file (<c>--config FILE</c>), then the flags.
/// </summary>
internal static class ConfigLoader
{
    /// <summary>The merged, validated configuration, and the settings given explicitly (where each came from).</summary>
    /// <exception cref="UsageException">Unknown preset, a bad YAML file, or settings <see cref="TrainConfig.Validate"/> rejects.</exception>
    public static (TrainConfig Config, IReadOnlyList<GivenSetting> Given) Load(string? preset, string? configPath, ParseResult flags)
    {
        var config = preset is null ? TrainConfig.Tiny : PresetNamed(preset);
        var given = Given(configPath, flags);
        return (Validated(GivenSetting.ApplyAll(config, given), AfterApplying(configPath)), given);
    }

    /// <summary>The settings given explicitly: the YAML file's in file order, then the flags (so a flag wins).</summary>
    /// <exception cref="UsageException">A bad YAML file, or a flag value of the wrong type.</exception>
    public static IReadOnlyList<GivenSetting> Given(string? configPath, ParseResult flags)
    {
        var given = configPath is null ? [] : YamlConfigFile.Read(configPath).ToList();
        foreach (var setting in TrainSettings.All)
            if (setting.TryReadFlag(flags, out var value)) given.Add(new GivenSetting(setting, value, setting.Option.Name));
        return given;
    }

    /// <summary>" (after applying FILE)" when a YAML file was applied: what validation messages end with.</summary>
    public static string AfterApplying(string? configPath) => configPath is null ? "" : $" (after applying {configPath})";

    /// <summary><paramref name="config"/> with every one of <paramref name="settings"/> that <paramref name="flags"/> gives set.</summary>
    public static TrainConfig ApplyFlags(TrainConfig config, IEnumerable<TrainSetting> settings, ParseResult flags)
    {
        foreach (var setting in settings)
            if (setting.TryReadFlag(flags, out var value)) config = setting.Apply(config, value);
        return config;
    }

    /// <exception cref="UsageException">The problems <see cref="TrainConfig.Validate"/> finds, on one line (then <paramref name="context"/>).</exception>
    public static TrainConfig Validated(TrainConfig config, string context = "")
    {
        var problems = config.Validate();
        if (problems.Count > 0) throw new UsageException(string.Join("; ", problems) + context);
        return config;
    }

    private static TrainConfig PresetNamed(string name)
    {
        try
        {
            return TrainConfig.Preset(name);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--preset: {e.Message}");
        }
    }
}
