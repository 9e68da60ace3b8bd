using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Engine.Kernels.Devices;

/// <summary>
/// Resolves the logical library names used by this assembly's <c>[LibraryImport]</c>s ("OpenCL", later "cuda",
/// "nvrtc") to the first file that loads. .NET allows one resolver per assembly, so every backend registers
/// its candidates here instead of installing its own. Loading is lazy: nothing is touched until a backend asks.
/// </summary>
internal static class NativeLibraries
{
    private static readonly ConcurrentDictionary<string, string[]> Candidates = new();
    private static readonly ConcurrentDictionary<string, nint> Loaded = new();

    static NativeLibraries() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);

    /// <summary>
    /// Registers <paramref name="candidates"/> for <paramref name="name"/> and tries to load one;
    /// false when none loads (the backend is then absent).
    /// </summary>
    public static bool TryLoad(string name, params string[] candidates)
    {
        Candidates.TryAdd(name, candidates);
        return TryLoadRegistered(name, out _);
    }

    private static bool TryLoadRegistered(string name, out nint handle)
    {
        if (Loaded.TryGetValue(name, out handle)) return true;
        if (!Candidates.TryGetValue(name, out var files)) return false;
        foreach (var file in files)
        {
            if (NativeLibrary.TryLoad(file, out handle))
            {
                Loaded[name] = handle;
                return true;
            }
        }
        handle = 0;
        return false;
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        TryLoadRegistered(name, out var handle) ? handle : 0;
}
