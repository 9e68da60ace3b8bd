using System.Text;
using System.Text.Json;
using Engine.Cli.Output;
using Engine.Models.Data;

namespace Engine.Cli.Comparison;

/// <summary>One logged step of a run: its number and every numeric value of the record (NaN where the file has null).</summary>
internal sealed record MetricsRecord(long Step, IReadOnlyDictionary<string, double> Values);

/// <summary>
/// A training run's <c>metrics.jsonl</c> read back (what <see cref="MetricsWriter"/> appends), one record per logged
/// step in step order. A resumed run logs again the steps after its last checkpoint, so a later record of a step
/// replaces the earlier one: the values kept are those of the run the final model came from. A last line without its
/// newline that does not parse is a record a crash (or a run still going) cut short, and is left out.
/// </summary>
internal sealed class MetricsLog
{
    private MetricsLog(string path, IReadOnlyList<MetricsRecord> records)
    {
        Path = path;
        Records = records;
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>The records, ascending by step, one per step.</summary>
    public IReadOnlyList<MetricsRecord> Records { get; }

    /// <summary>Every metric name some record has, in order of first appearance.</summary>
    public IEnumerable<string> Metrics => Records.SelectMany(r => r.Values.Keys).Distinct();

    /// <summary>
    /// The last logged value of <paramref name="metric"/> with its step — NaN when the run had diverged by then (the
    /// trainer logs null) — or null when no record has the metric.
    /// </summary>
    public (long Step, double Value)? Final(string metric) =>
        Records.LastOrDefault(r => r.Values.ContainsKey(metric)) is { } last ? (last.Step, last.Values[metric]) : null;

    /// <summary>The finite values of <paramref name="metric"/>, by step.</summary>
    public IReadOnlyList<(long Step, double Value)> Series(string metric) =>
        Records.Where(r => r.Values.TryGetValue(metric, out var v) && double.IsFinite(v))
               .Select(r => (r.Step, r.Values[metric])).ToList();

    /// <summary>
    /// Reads <paramref name="path"/>: a <c>metrics.jsonl</c> file, or a training run's <c>--out-dir</c> holding one.
    /// Throws <see cref="DataException"/> naming the file and line of a malformed record.
    /// </summary>
    public static MetricsLog Load(string path)
    {
        var file = Directory.Exists(path) ? System.IO.Path.Combine(path, MetricsWriter.FileName) : path;
        if (!File.Exists(file))
            throw new DataException(Directory.Exists(path)
                ? $"{path}: no {MetricsWriter.FileName} in this folder (is it an 'engine train' --out-dir?)"
                : $"{path}: no such file or folder (name a run's --out-dir or its {MetricsWriter.FileName})");
        // Shared with a writer: a run still training can be compared (its last, unfinished line is left out).
        string text;
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        using (var reader = new StreamReader(stream, Encoding.UTF8))
            text = reader.ReadToEnd();
        var lines = text.Split('\n');
        var byStep = new SortedDictionary<long, MetricsRecord>();
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            // After the last newline: a record still being written or cut by a crash (never valid JSON), or a
            // complete one whose newline is missing.
            bool unterminated = i == lines.Length - 1;
            if (unterminated && StepOf(line) is null) continue;
            var record = Parse(line, $"{file}:{i + 1}");
            byStep[record.Step] = record;
        }
        if (byStep.Count == 0) throw new DataException($"{file}: no complete records (the run has not logged a step yet)");
        return new MetricsLog(file, byStep.Values.ToList());
    }

    /// <summary>The step of a metrics line, or null when it is not a complete JSON record with one.</summary>
    public static long? StepOf(string line)
    {
        try
        {
            using var record = JsonDocument.Parse(line);
            return record.RootElement.ValueKind == JsonValueKind.Object && record.RootElement.TryGetProperty("step", out var step)
                   && step.TryGetInt64(out long value) ? value : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A number (null: NaN) under its key; an object's numbers under "key.child" (perturbation_by_tensor.wte.weight).</summary>
    private static void Collect(string key, JsonElement value, Dictionary<string, double> values)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number: values[key] = value.GetDouble(); break;
            case JsonValueKind.Null: values[key] = double.NaN; break;
            case JsonValueKind.Object:
                foreach (var child in value.EnumerateObject()) Collect($"{key}.{child.Name}", child.Value, values);
                break;
        }
    }

    private static MetricsRecord Parse(string line, string where)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new DataException($"{where}: not a JSON record ({e.Message})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new DataException($"{where}: not a JSON object");
            if (!root.TryGetProperty("step", out var stepValue) || !stepValue.TryGetInt64(out long step) || step < 0)
                throw new DataException($"{where}: the record has no step (a non-negative integer 'step' key)");
            var values = new Dictionary<string, double>();
            foreach (var property in root.EnumerateObject())
                if (property.Name != "step") Collect(property.Name, property.Value, values);
            return new MetricsRecord(step, values);
        }
    }
}
