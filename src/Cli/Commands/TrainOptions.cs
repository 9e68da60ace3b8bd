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
    public Option<string> Preset { get; } = new("--preset") { Description = "starting configuration: tiny | small (default tiny)" };

    public Option<string> Config { get; } = new("--config") { Description = "YAML file of settings (snake_case keys); flags override it" };

    public Option<bool> Resume { get; } = new("--resume") { Description = "continue from the latest complete checkpoint in --out-dir" };

    public void AddTo(Command command)
    {
        command.Add(Preset);
        command.Add(Config);
        command.Add(Resume);
        foreach (var setting in TrainSettings.All) command.Add(setting.Option);
    }

    /// <summary>The configuration the parsed flags describe (preset, then YAML file, then flags), validated.</summary>
    public TrainConfig ReadConfig(ParseResult result) => ConfigLoader.Load(result.GetValue(Preset), result.GetValue(Config), result);
}
