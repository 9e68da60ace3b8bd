using System.Collections.Concurrent;
using System.Reflection;

namespace Engine.Kernels.Devices;

/// <summary>
/// The portable kernel sources embedded in this assembly (src/Kernels/Sources): the per-dialect preludes
/// (*.h) and the hand-written kernels (*.cl), which are written once against the prelude's macros.
/// </summary>
public static class KernelSources
{
    private const string ResourcePrefix = "Engine.Kernels.Sources.";
    private static readonly Assembly Assembly = typeof(KernelSources).Assembly;
    private static readonly ConcurrentDictionary<string, string> Loaded = new();
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Kernels = new(() =>
        Assembly.GetManifestResourceNames()
                .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".cl", StringComparison.Ordinal))
                .Select(n => n[ResourcePrefix.Length..])
                .Order(StringComparer.Ordinal)
                .ToDictionary(n => n, Load));

    /// <summary>File name of the prelude of <paramref name="dialect"/>: "prelude.opencl.h" or "prelude.cuda.h".</summary>
    public static string PreludeName(KernelDialect dialect) => dialect switch
    {
        KernelDialect.OpenCl => "prelude.opencl.h",
        KernelDialect.Cuda => "prelude.cuda.h",
        _ => throw new ArgumentOutOfRangeException(nameof(dialect), dialect, "unknown kernel dialect"),
    };

    /// <summary>The macro prelude a backend prepends to every kernel source of <paramref name="dialect"/>.</summary>
    public static string Prelude(KernelDialect dialect) => Load(PreludeName(dialect));

    /// <summary>
    /// The text of embedded source <paramref name="fileName"/> (e.g. "gemm.cl"), with each <c>#include "x.h"</c> of a
    /// sibling header replaced by the header's text between <c>#line</c> directives, so compiler messages still name
    /// the right file and line. Runtime compilers see no include path; clang (tools/check-ptx.sh) resolves the same
    /// includes from the directory.
    /// </summary>
    public static string Load(string fileName) => Loaded.GetOrAdd(fileName, static name =>
    {
        using var stream = Assembly.GetManifestResourceStream(ResourcePrefix + name)
            ?? throw new ArgumentException(
                $"no embedded kernel source '{name}'; embedded: {string.Join(", ", Assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Select(n => n[ResourcePrefix.Length..]))}",
                nameof(fileName));
        using var reader = new StreamReader(stream);
        return InlineIncludes(name, reader.ReadToEnd());
    });

    private static string InlineIncludes(string name, string text)
    {
        if (!text.Contains("#include \"", StringComparison.Ordinal)) return text;
        var lines = text.Split('\n');
        var result = new System.Text.StringBuilder();
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.StartsWith("#include \"", StringComparison.Ordinal) && line.EndsWith('"'))
            {
                var header = line["#include \"".Length..^1];
                result.Append($"#line 1 \"{header}\"\n").Append(Load(header)).Append('\n')
                      .Append($"#line {i + 2} \"{name}\"\n");
            }
            else
            {
                result.Append(lines[i]);
                if (i < lines.Length - 1) result.Append('\n');
            }
        }
        return result.ToString();
    }

    /// <summary>Every embedded kernel file (*.cl), by file name.</summary>
    public static IReadOnlyDictionary<string, string> All => Kernels.Value;
}
