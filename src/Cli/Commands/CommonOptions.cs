using System.CommandLine;

namespace Engine.Cli.Commands;

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    public static Option<string> Device() => new Option<string>("--device")
    {
        Description = "cpu | opencl[:i] | cuda[:i] (see 'engine devices')",
        DefaultValueFactory = _ => "cpu",
    }.RejectingEmpty();

    public static Option<string> Checkpoint() => new Option<string>("--checkpoint")
    {
        Description = "checkpoint directory (its latest complete checkpoint) or a NAME.json / NAME.safetensors file",
        Required = true,
    }.RejectingEmpty();
}
