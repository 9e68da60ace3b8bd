using System.Diagnostics.CodeAnalysis;
using Engine.Models.Config;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Engine.Cli.Configuration;

/// <summary>
/// A YAML training configuration: a flat mapping of <see cref="TrainConfig"/> settings by snake_case key
/// (e.g. <c>block_size: 128</c>). Unknown or repeated keys, values of the wrong type and malformed YAML are
/// rejected with the file, line and key at fault.
/// </summary>
internal static class YamlConfigFile
{
    /// <summary>Applies every setting in the file at <paramref name="path"/> on top of <paramref name="config"/>.</summary>
    /// <exception cref="UsageException">The file is missing, unreadable, not YAML, or holds a bad key or value.</exception>
    public static TrainConfig Apply(string path, TrainConfig config) => GivenSetting.ApplyAll(config, Read(path));

    /// <summary>The settings of the file at <paramref name="path"/>, in file order, each with its origin "FILE:LINE".</summary>
    /// <exception cref="UsageException">The file is missing, unreadable, not YAML, or holds a bad key or value.</exception>
    public static IReadOnlyList<GivenSetting> Read(string path)
    {
        var root = ReadRoot(path);
        if (HoldsNoSettings(root))
            throw new UsageException($"{path}: no settings (expected 'key: value' lines, e.g. 'layers: 4'); fill it in or drop --config");
        if (root is not YamlMappingNode mapping)
            throw Error(path, root.Start, "expected a mapping of settings (key: value), e.g. 'layers: 4'");
        var settings = new List<GivenSetting>();
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
                throw Error(path, keyNode.Start, "keys must be plain setting names");
            var setting = TrainSettings.ByKey(key) ?? throw Error(path, keyNode.Start, $"unknown key '{key}'{Suggest(key)}");
            if (valueNode is not YamlScalarNode scalar)
                throw Error(path, valueNode.Start, $"key '{key}' must be a single value ({setting.ExpectedKind}), not a list or mapping");
            var text = IsNull(scalar) ? null : scalar.Value;
            if (!setting.TryParseScalar(text, out var value))
                throw Error(path, valueNode.Start, text is null
                    ? $"key '{key}' must be {setting.ExpectedKind}, got {(scalar.Value is { Length: > 0 } written ? $"'{written}' (null)" : "no value")}"
                    : setting.Problem($"key '{key}'", text));
            settings.Add(new GivenSetting(setting, value, $"{path}:{keyNode.Start.Line}"));
        }
        return settings;
    }

    private static YamlNode? ReadRoot(string path)
    {
        if (Directory.Exists(path)) throw new UsageException($"config '{path}' is a directory; expected a YAML file");
        if (!File.Exists(path)) throw new UsageException($"config file '{path}' not found (full path: {Path.GetFullPath(path)})");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"config file '{path}' cannot be read: {e.Message}");
        }
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(ConfigFileText.Decode(path, bytes)));
            if (stream.Documents.Count > 1)
                throw Error(path, stream.Documents[1].RootNode.Start, "expected one YAML document, found several");
            return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
        }
        catch (YamlException e)
        {
            throw Error(path, e.Start, $"not valid YAML: {e.InnerException?.Message ?? e.Message}");
        }
    }

    /// <summary>An empty file, one of only comments, an empty document or mapping: --config that sets nothing is a mistake.</summary>
    private static bool HoldsNoSettings([NotNullWhen(false)] YamlNode? root) =>
        root is null || root is YamlMappingNode { Children.Count: 0 } || root is YamlScalarNode scalar && IsNull(scalar);

    private static bool IsNull(YamlScalarNode scalar) =>
        scalar.Style == ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    private static string Suggest(string key)
    {
        var nearest = TrainSettings.All.Select(s => s.Key).MinBy(k => EditDistance(k, key))!;
        return EditDistance(nearest, key) <= 2
            ? $" (did you mean '{nearest}'?)"
            : $" (known keys: {string.Join(", ", TrainSettings.All.Select(s => s.Key))})";
    }

    private static int EditDistance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }

    private static UsageException Error(string path, Mark mark, string message) => new($"{path}:{mark.Line}: {message}");
}
