using System.Text.Json.Nodes;
using Xunit;

namespace Engine.Tests.Cli;

/// <summary>A checkpoint records its text files as full paths, so it works from any directory; older relative ones still read.</summary>
public sealed class RecordedPathsTests
{
    [Fact]
    public void ARelativeDataPathIsRecordedInFullAndOldRelativeOnesStillRead()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        var data = dir.File("data.txt", string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 60)));
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, data);
        Assert.False(Path.IsPathRooted(relative));
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 5, "--data", relative, "--optim", "sgg", "--source", relative, "--val-data", relative)).ExitCode);

        var sidecar = Path.Combine(outDir, "step-0000005.json");
        var train = JsonNode.Parse(File.ReadAllText(sidecar))!["config"]!["train"]!;
        Assert.Equal(data, (string?)train["data"]);
        Assert.Equal(data, (string?)train["source"]);
        Assert.Equal(data, (string?)train["val_data"]);
        train.AsObject().Remove("val_data");   // as in a checkpoint written before --val-data existed

        // A checkpoint from before holds the path as it was typed: read from the current directory, as then.
        train["data"] = relative;
        var root = JsonNode.Parse(File.ReadAllText(sidecar))!;
        root["config"]!["train"] = train.DeepClone();
        File.WriteAllText(sidecar, root.ToJsonString());
        var eval = CliRun.Of("eval", "--checkpoint", outDir);
        Assert.True(eval.ExitCode == 0, eval.Error);
        Assert.Contains($"tokens of {relative} (context {TinyRun.BlockSize});", eval.Out);
    }
}
