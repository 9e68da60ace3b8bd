using System.CommandLine;
using Engine.Models.Config;

namespace Engine.Cli.Configuration;

/// <summary>
/// Builds the <see cref="TrainConfig"/> of a run from three layers, later ones winning: the preset
/// (<c>--preset tiny|small</c>, default tiny), the YAML file (<c>--config FILE</c>), then the flags.
/// </summary>
internal static class ConfigLoader
{
    /// <summary>The merged, validated configuration.</summary>
    /// <exception cref="UsageException">Unknown preset, a bad YAML file, or settings <see cref="TrainConfig.Validate"/> rejects.</exception>
    public static TrainConfig Load(string? preset, string? configPath, ParseResult flags)
    {
        var config = preset is null ? TrainConfig.Tiny : PresetNamed(preset);
        if (configPath is not null) config = YamlConfigFile.Apply(configPath, config);
        foreach (var setting in TrainSettings.All)
            if (setting.TryReadFlag(flags, out var value)) config = setting.Apply(config, value);
        var problems = config.Validate();
        if (problems.Count > 0)
            throw new UsageException(string.Join("; ", problems) + (configPath is null ? "" : $" (after applying {configPath})"));
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
