using Engine.Models.Config;

namespace Engine.Cli.Configuration;

/// <summary>
/// A setting the user gave explicitly, and where: <c>--lr</c> for a flag, <c>run.yaml:3</c> for a YAML key. A resumed
/// run compares these (and only these) with its checkpoint's settings, and messages point at the origin.
/// </summary>
internal sealed record GivenSetting(TrainSetting Setting, object? Value, string Origin)
{
    /// <summary><paramref name="config"/> with every one of <paramref name="given"/> applied in order (a later one wins).</summary>
    public static TrainConfig ApplyAll(TrainConfig config, IEnumerable<GivenSetting> given)
    {
        foreach (var setting in given) config = setting.Setting.Apply(config, setting.Value);
        return config;
    }
}
