using System.CommandLine;

namespace Engine.Cli.Commands;

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    public static Option<string> Device() => new("--device")
    {
        Description = "cpu | opencl[:i] | cuda[:i] (see 'engine devices')",
        DefaultValueFactory = _ => "cpu",
    };

    public static Option<string> Checkpoint() => new("--checkpoint")
    {
        Description = "checkpoint directory (its latest complete checkpoint) or a NAME.json / NAME.safetensors file",
        Required = true,
    };
}
