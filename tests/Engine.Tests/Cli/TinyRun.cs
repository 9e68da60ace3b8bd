namespace Engine.Tests.Cli;

/// <summary>Flags of a training run small enough for unit tests (~14k parameters, a second or so on cpu).</summary>
internal static class TinyRun
{
    public const int BlockSize = 16;

    public static string[] Args(string outDir, int maxIters, params string[] extra) =>
    [
        "train", "--out-dir", outDir, "--max-iters", maxIters.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--layers", "1", "--heads", "2", "--width", "32", "--block-size", $"{BlockSize}", "--batch-size", "4",
        "--eval-interval", "10", "--eval-iters", "2", "--log-interval", "5", "--checkpoint-interval", "10",
        "--warmup-iters", "2", "--lr-decay-iters", "100", .. extra,
    ];

    /// <summary>SHA-256 of every file in <paramref name="directory"/>, by name, to show a failed command changed nothing.</summary>
    public static Dictionary<string, string> Fingerprint(string directory) =>
        Directory.EnumerateFiles(directory).ToDictionary(f => Path.GetFileName(f),
            f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));
}
