using System.Globalization;
using System.Reflection;
using Engine.Models.Config;

namespace Engine.Cli.Configuration;

/// <summary>
/// Every <see cref="TrainConfig"/> setting, found by reflection so a setting added to the record becomes a flag and
/// a YAML key without touching the program (the descriptions below are checked to cover them all by a test).
/// </summary>
internal static class TrainSettings
{
    private static readonly Dictionary<string, string> Descriptions = new()
    {
        [nameof(TrainConfig.Data)] = "UTF-8 text file to train on (default: a generated corpus)",
        [nameof(TrainConfig.Tokenizer)] = "char | bpe",
        [nameof(TrainConfig.BpeVocab)] = "vocabulary size of the bpe tokenizer",
        [nameof(TrainConfig.Layers)] = "transformer blocks",
        [nameof(TrainConfig.Heads)] = "attention heads per block",
        [nameof(TrainConfig.Width)] = "embedding width (divisible by --heads)",
        [nameof(TrainConfig.BlockSize)] = "context length in tokens",
        [nameof(TrainConfig.Init)] = "weight init: normal | xavier | he | trunc",
        [nameof(TrainConfig.Optim)] = "optimizer: adamw | sgd",
        [nameof(TrainConfig.BatchSize)] = "sequences per step",
        [nameof(TrainConfig.MaxIters)] = "optimizer steps of the run",
        [nameof(TrainConfig.Lr)] = "peak learning rate",
        [nameof(TrainConfig.MinLr)] = "learning rate at the end of the cosine decay",
        [nameof(TrainConfig.WarmupIters)] = "steps of linear warm-up",
        [nameof(TrainConfig.LrDecayIters)] = "step at which the cosine decay reaches --min-lr",
        [nameof(TrainConfig.Beta1)] = "AdamW beta1",
        [nameof(TrainConfig.Beta2)] = "AdamW beta2",
        [nameof(TrainConfig.Eps)] = "AdamW epsilon",
        [nameof(TrainConfig.WeightDecay)] = "decoupled weight decay",
        [nameof(TrainConfig.Momentum)] = "SGD momentum",
        [nameof(TrainConfig.GradClip)] = "clip the global gradient norm to this (0: off)",
        [nameof(TrainConfig.EvalInterval)] = "steps between validation-loss evaluations",
        [nameof(TrainConfig.EvalIters)] = "batches averaged per evaluation",
        [nameof(TrainConfig.LogInterval)] = "steps between progress lines and metrics records",
        [nameof(TrainConfig.CheckpointInterval)] = "steps between checkpoints",
        [nameof(TrainConfig.OutDir)] = "directory of checkpoints and metrics.jsonl",
        [nameof(TrainConfig.Seed)] = "random seed (init, batches)",
        [nameof(TrainConfig.Device)] = "cpu | opencl[:i] | cuda[:i]",
    };

    /// <summary>The settings in declaration order.</summary>
    public static IReadOnlyList<TrainSetting> All { get; } = Properties()
        .Select(p => TrainSetting.For(p, Descriptions.GetValueOrDefault(p.Name, "") + DefaultOf(p)))
        .ToArray();

    /// <summary>Names of the properties that lack a description (empty when the table is complete).</summary>
    public static IReadOnlyList<string> Undescribed => Properties().Select(p => p.Name).Where(n => !Descriptions.ContainsKey(n)).ToArray();

    /// <summary>The setting whose YAML key is <paramref name="key"/>, or null.</summary>
    public static TrainSetting? ByKey(string key) => All.FirstOrDefault(s => s.Key == key);

    private static string DefaultOf(PropertyInfo property) =>
        property.GetValue(TrainConfig.Tiny) is { } value ? $" (tiny: {Convert.ToString(value, CultureInfo.InvariantCulture)})" : "";

    private static IEnumerable<PropertyInfo> Properties() =>
        typeof(TrainConfig).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod!.IsPublic)
            .OrderBy(p => p.MetadataToken);
}
