using System.Globalization;
using Engine.Models.Config;
using Engine.Models.Training;

namespace Engine.Cli.Configuration;

/// <summary>
/// The configuration of <c>engine train --resume</c>: the checkpoint's own settings, with the given ones on top. Leaving a
/// setting out keeps the checkpoint's value (<c>--resume --max-iters 4000</c> is all it takes to extend a run); a given
/// setting that <see cref="ResumeRules"/> does not let change must equal the checkpoint's, or the run is refused naming
/// every such key.
/// </summary>
internal static class ResumedConfig
{
    /// <exception cref="UsageException">A given setting would make it another run, or the result is invalid.</exception>
    public static TrainConfig Merge(TrainConfig saved, string checkpoint, IReadOnlyList<GivenSetting> given, string outDir, string? configPath)
    {
        // The effective value of each key: a flag wins over the YAML file.
        var effective = given.GroupBy(g => g.Setting.Key).Select(g => g.Last()).ToList();
        var differing = effective
            .Where(g => !ResumeRules.MayChangeKey(g.Setting.Key) && !ResumeRules.SameValue(g.Setting.Key, g.Setting.ValueIn(saved), g.Value))
            .ToList();
        if (differing.Count > 0)
        {
            var details = differing.Select(g => $"{g.Setting.Key}: checkpoint {Show(g.Setting.ValueIn(saved))}, {g.Origin} {Show(g.Value)}");
            var changeable = string.Join(", ", ResumeRules.MayChange.Where(k => k != "out_dir").Select(k => "--" + k.Replace('_', '-')));
            throw new UsageException(
                $"--resume: the settings differ from checkpoint '{checkpoint}' in {string.Join(", ", differing.Select(g => g.Setting.Key))} " +
                $"({string.Join("; ", details)}). Only {changeable} may change on --resume: leave the other settings out (or give " +
                "the checkpoint's values), or start a new run in another --out-dir.");
        }
        var config = GivenSetting.ApplyAll(saved, effective) with { OutDir = outDir };
        return ConfigLoader.Validated(config, $" (checkpoint '{checkpoint}'{(configPath is null ? "" : $", then {configPath}")} and the flags)");
    }

    private static string Show(object? value) => value switch
    {
        null => "none",
        string s => $"'{s}'",
        bool b => b ? "true" : "false",
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "none",
    };
}
