using System.CommandLine;
using Engine.Cli.Configuration;
using Engine.Models.Config;

namespace Engine.Cli.Commands;

/// <summary>
/// The options of <c>engine train</c>: <c>--preset</c>, <c>--config</c>, <c>--resume</c>, and one flag per
/// <see cref="TrainConfig"/> setting (<c>--data</c>, <c>--device</c>, <c>--layers</c>, ...).
/// </summary>
internal sealed class TrainOptions
{
    public Option<string> Preset { get; } = new Option<string>("--preset") { Description = "starting configuration: tiny | small (default tiny)" }.RejectingEmpty();

    public Option<string> Config { get; } =
        new Option<string>("--config") { Description = "YAML file of settings (snake_case keys); flags override it" }.RejectingEmpty();

    public Option<bool> Resume { get; } = new("--resume") { Description = "continue from the latest complete checkpoint in --out-dir" };

    public void AddTo(Command command)
    {
        command.Add(Preset);
        command.Add(Config);
        command.Add(Resume);
        foreach (var setting in TrainSettings.All) command.Add(setting.Option);
    }

    /// <summary>The configuration the parsed flags describe (preset, then YAML file, then flags), validated.</summary>
    public TrainConfig ReadConfig(ParseResult result) => ReadNewRun(result).Config;

    /// <summary><see cref="ReadConfig"/>, with the settings given explicitly and where each came from.</summary>
    public (TrainConfig Config, IReadOnlyList<GivenSetting> Given) ReadNewRun(ParseResult result) =>
        ConfigLoader.Load(result.GetValue(Preset), result.GetValue(Config), result);

    /// <summary>
    /// What a <c>--resume</c> command line gives: the YAML file's settings and the flags (<see cref="ResumedConfig"/>
    /// lays them over the checkpoint's), and the --out-dir they name (default: the preset's).
    /// </summary>
    /// <exception cref="UsageException">--preset given (a resumed run starts from its checkpoint's settings), or a bad value.</exception>
    public (IReadOnlyList<GivenSetting> Given, string OutDir) ReadResumeRequest(ParseResult result)
    {
        if (result.GetValue(Preset) is { } preset)
            throw new UsageException(
                $"--preset {preset} with --resume: a resumed run continues with its checkpoint's settings; drop --preset " +
                "(flags and --config still apply on top)");
        var given = ConfigLoader.Given(result.GetValue(Config), result);
        var outDirSetting = given.LastOrDefault(g => g.Setting.Key == "out_dir");
        var outDir = outDirSetting?.Value as string ?? TrainConfig.Tiny.OutDir;
        if (outDir.Length == 0) throw new UsageException($"--out-dir must name a directory (an empty one comes from {outDirSetting!.Origin})");
        return (given, outDir);
    }
}
