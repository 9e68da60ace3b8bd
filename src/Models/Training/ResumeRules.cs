using Engine.Models.Config;

namespace Engine.Models.Training;

/// <summary>
/// Which settings a resumed run may change. A resume continues one run as if it had never stopped, so what defines the
/// run — the model and its init, the data (training and validation), source and tokenizer, the seed and the batch, the optimizer and every
/// hyperparameter its state depends on — keeps the checkpoint's value. What may change is how long the run goes, its
/// learning-rate schedule (lowering the rate is the way on after a divergence), how it is watched, and where it runs.
/// </summary>
public static class ResumeRules
{
    /// <summary>The <see cref="TrainConfig"/> keys (snake_case) a resumed run may set to new values.</summary>
    public static IReadOnlyList<string> MayChange { get; } =
    [
        "max_iters", "lr", "min_lr", "warmup_iters", "lr_decay_iters", "muon_lr",
        "eval_interval", "eval_iters", "log_interval", "update_alignment", "stability_window", "checkpoint_interval", "out_dir", "device",
    ];

    /// <summary>Keys naming files: equal when they name the same file (a relative path read from the current directory).</summary>
    private static readonly string[] PathKeys = ["data", "val_data", "source", "init_from", "out_dir"];

    /// <summary>Whether a resumed run may give <paramref name="key"/> another value than its checkpoint's.</summary>
    public static bool MayChangeKey(string key) => MayChange.Contains(key);

    /// <summary>Whether <paramref name="given"/> is the checkpoint's value <paramref name="saved"/> of <paramref name="key"/>.</summary>
    public static bool SameValue(string key, object? saved, object? given) =>
        PathKeys.Contains(key) && saved is string a && given is string b
            ? Path.GetFullPath(a) == Path.GetFullPath(b)
            : Equals(saved, given);
}
