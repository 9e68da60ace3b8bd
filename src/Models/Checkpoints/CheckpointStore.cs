using System.Security.Cryptography;

namespace Engine.Models.Checkpoints;

/// <summary>
/// Checkpoints in one directory. A checkpoint named N is N.safetensors (tensors) plus N.json (sidecar recording the
/// SHA-256 of N.safetensors), and latest.json names the last one saved. Each file is replaced atomically
/// (<see cref="AtomicFile"/>), the sidecar only after its weights and the pointer only after the sidecar, so after a
/// crash at any point every checkpoint the pointer names is complete. A checkpoint counts as complete only when the
/// sidecar's hash matches the weights; give each save its own name (e.g. per step) so that a crash while
/// overwriting never costs the previous checkpoint.
/// </summary>
public sealed class CheckpointStore
{
    /// <summary>File name of the pointer to the last saved checkpoint.</summary>
    public const string LatestFileName = "latest.json";

    /// <summary>Creates the store; the directory is created on the first save.</summary>
    public CheckpointStore(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = directory;
    }

    /// <summary>The directory holding the checkpoints.</summary>
    public string Directory { get; }

    /// <summary>
    /// The checkpoint a user names with one path: a directory means its latest complete checkpoint, NAME.json or
    /// NAME.safetensors means checkpoint NAME beside it (latest.json: the one it points to).
    /// </summary>
    /// <param name="warn">Told of each damaged checkpoint a directory's latest one was passed over for (<see cref="LoadLatest"/>).</param>
    /// <exception cref="CheckpointException">Nothing at the path, or a missing, incomplete, corrupt or foreign checkpoint.</exception>
    public static Checkpoint Locate(string location, Action<string>? warn = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(location);
        if (System.IO.Directory.Exists(location))
            return new CheckpointStore(location).LoadLatest(warn)
                   ?? throw new CheckpointException($"no checkpoint in directory '{location}' (expected NAME.json + NAME.safetensors)");
        if (!File.Exists(location))
            throw new CheckpointException($"checkpoint '{location}' not found: expected a checkpoint directory, NAME.json or NAME.safetensors");
        if (Path.GetExtension(location) is not (".json" or ".safetensors"))
            throw new CheckpointException($"'{location}' is not a checkpoint: expected a checkpoint directory, NAME.json or NAME.safetensors");
        var directory = DirectoryOf(location);
        var store = new CheckpointStore(directory);
        if (Path.GetFileName(location) == LatestFileName)
            return store.LoadLatest(warn) ?? throw new CheckpointException($"no checkpoint in directory '{directory}'");
        return store.Load(Path.GetFileNameWithoutExtension(location));
    }

    /// <summary>&lt;dir&gt;/&lt;name&gt; of the checkpoint <paramref name="location"/> resolved to, for messages.</summary>
    public static string Describe(string location, Checkpoint checkpoint) =>
        Path.Combine(System.IO.Directory.Exists(location) ? location : DirectoryOf(location), checkpoint.Name);

    private static string DirectoryOf(string file) => Path.GetDirectoryName(file) is { Length: > 0 } d ? d : ".";

    /// <summary>Test seam: wraps every stream a save writes through, to simulate a crash mid-write.</summary>
    internal Func<Stream, Stream>? WrapWrites { get; set; }

    /// <summary>Path of the safetensors file of checkpoint <paramref name="name"/>.</summary>
    public string WeightsPath(string name) => Path.Combine(Directory, RequireValidName(name) + ".safetensors");

    /// <summary>Path of the sidecar of checkpoint <paramref name="name"/>.</summary>
    public string SidecarPath(string name) => Path.Combine(Directory, RequireValidName(name) + ".json");

    /// <summary>Writes checkpoint <paramref name="name"/> (weights, then sidecar, then the latest pointer).</summary>
    /// <exception cref="ArgumentException">The name is not a plain file name of letters, digits, '.', '-' and '_'.</exception>
    public void Save(string name, CheckpointManifest manifest, IReadOnlyList<SafeTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        string weightsPath = WeightsPath(name), sidecarPath = SidecarPath(name);
        System.IO.Directory.CreateDirectory(Directory);
        var metadata = new Dictionary<string, string> { ["format"] = CheckpointSidecar.Format, ["step"] = manifest.Step.ToString() };
        var weights = SafeTensorsFile.Serialize(tensors, metadata);
        string sha256 = Convert.ToHexStringLower(SHA256.HashData(weights));
        AtomicFile.Write(weightsPath, weights, WrapWrites);
        AtomicFile.Write(sidecarPath,
            CheckpointSidecar.Serialize(name, manifest, Path.GetFileName(weightsPath), weights.LongLength, sha256), WrapWrites);
        AtomicFile.Write(Path.Combine(Directory, LatestFileName), CheckpointSidecar.SerializeLatest(name, manifest.Step), WrapWrites);
    }

    /// <summary>Loads and validates checkpoint <paramref name="name"/>.</summary>
    /// <exception cref="CheckpointException">Missing file, foreign or wrong-version sidecar, hash mismatch, corrupt weights.</exception>
    public Checkpoint Load(string name)
    {
        string weightsPath = WeightsPath(name), sidecarPath = SidecarPath(name);
        if (!File.Exists(sidecarPath))
            throw new CheckpointException(File.Exists(weightsPath)
                ? $"Checkpoint '{name}' is incomplete: '{weightsPath}' exists but its sidecar '{sidecarPath}' is missing (interrupted save?)."
                : $"Checkpoint '{name}' not found: no '{sidecarPath}'.");
        var (manifest, weightsFile, weightsBytes, expectedSha) =
            CheckpointSidecar.Parse(SafeTensorsFile.ReadAllBytes(sidecarPath, "checkpoint sidecar"), sidecarPath);
        if (weightsFile != Path.GetFileName(weightsPath))
            throw new CheckpointException($"Checkpoint sidecar '{sidecarPath}' describes weights '{weightsFile}', not '{Path.GetFileName(weightsPath)}' (renamed file?).");
        if (!File.Exists(weightsPath))
            throw new CheckpointException($"Checkpoint '{name}' is incomplete: its weights '{weightsPath}' are missing.");
        var weights = SafeTensorsFile.ReadAllBytes(weightsPath, "checkpoint weights");
        string actualSha = Convert.ToHexStringLower(SHA256.HashData(weights));
        if (weights.LongLength != weightsBytes || actualSha != expectedSha)
            throw new CheckpointException(
                $"Checkpoint '{name}': '{weightsPath}' ({weights.LongLength} bytes, SHA-256 {actualSha}) does not match its sidecar " +
                $"({weightsBytes} bytes, SHA-256 {expectedSha}); the pair is mismatched or a save was interrupted.");
        return new Checkpoint(name, manifest, SafeTensorsFile.Parse(weights, weightsPath), actualSha);
    }

    /// <summary>
    /// The checkpoint to resume from: the one latest.json names when it is complete; otherwise (no pointer, or its
    /// target is damaged) the complete checkpoint with the highest step in the directory. Null when the directory
    /// holds no checkpoint at all.
    /// </summary>
    /// <param name="warn">
    /// Told, one line each, of every file passed over on the way to an older checkpoint (the damaged one latest.json
    /// names, and what the scan rejected), so a fallback is never silent.
    /// </param>
    /// <exception cref="CheckpointException">Checkpoints exist but none is complete.</exception>
    public Checkpoint? LoadLatest(Action<string>? warn = null)
    {
        if (!System.IO.Directory.Exists(Directory)) return null;
        var latestPath = Path.Combine(Directory, LatestFileName);
        string? pointerProblem = null;
        if (File.Exists(latestPath))
        {
            try
            {
                var (name, _) = CheckpointSidecar.ParseLatest(SafeTensorsFile.ReadAllBytes(latestPath, "latest-checkpoint pointer"), latestPath);
                return Load(name);
            }
            catch (Exception e) when (e is CheckpointException or ArgumentException)
            {
                pointerProblem = e.Message;
            }
        }

        Checkpoint? best = null;
        var problems = new List<string>();
        var names = System.IO.Directory.EnumerateFiles(Directory, "*.json")
            .Concat(System.IO.Directory.EnumerateFiles(Directory, "*.safetensors"))
            .Select(Path.GetFileNameWithoutExtension)
            .OfType<string>()
            .Where(IsValidName)
            .Distinct()
            .Order(StringComparer.Ordinal);
        foreach (var name in names)
        {
            try
            {
                var candidate = Load(name);
                if (best is null || candidate.Manifest.Step > best.Manifest.Step) best = candidate;
            }
            catch (CheckpointException e)
            {
                problems.Add(e.Message);
            }
        }
        // latest.json and the scan often find the same broken checkpoint, and a folder of unrelated .json files would
        // otherwise make the message one line per file.
        var distinct = (pointerProblem is null ? problems : problems.Prepend(pointerProblem)).Distinct().ToList();
        const int shown = 3;
        if (best is not null)
        {
            var instead = $" Using checkpoint '{best.Name}' (step {best.Manifest.Step}) instead.";
            foreach (var problem in distinct.Take(shown)) warn?.Invoke(problem + instead);
            if (distinct.Count > shown) warn?.Invoke($"{distinct.Count - shown} more files in '{Directory}' were passed over likewise.");
            return best;
        }
        if (distinct.Count == 0) return null;
        throw new CheckpointException($"No complete checkpoint in '{Directory}': " + string.Join(" ", distinct.Take(shown))
            + (distinct.Count > shown ? $" (and {distinct.Count - shown} more files like these)" : ""));
    }

    /// <summary>Whether a file named <paramref name="fileName"/> is one a store writes: latest.json, or NAME.safetensors / NAME.json.</summary>
    public static bool IsStoreFile(string fileName) =>
        fileName == LatestFileName
        || (Path.GetExtension(fileName) is ".safetensors" or ".json" && IsValidName(Path.GetFileNameWithoutExtension(fileName)));

    private static bool IsValidName(string name) =>
        name.Length > 0 && name != "." && name != ".." && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_')
        && name != Path.GetFileNameWithoutExtension(LatestFileName);

    private static string RequireValidName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsValidName(name))
            throw new ArgumentException(
                $"Checkpoint name '{name}' must be non-empty ASCII letters, digits, '.', '-' or '_', and not 'latest'.", nameof(name));
        return name;
    }
}
