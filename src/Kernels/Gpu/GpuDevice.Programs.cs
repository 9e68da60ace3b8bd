using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Engine.Kernels.Devices;

namespace Engine.Kernels.Gpu;

/// <summary>
/// Kernel compilation as every GPU backend does it: prelude + <c>#line</c> + kernel source, one program (module) per
/// distinct text and options, cached in memory and as binaries on disk (PoCL takes about a second to build a program,
/// NVRTC a tenth of that; loading a binary takes milliseconds). The backend compiles, loads and releases.
/// </summary>
public abstract partial class GpuDevice
{
    private readonly Dictionary<string, nint> _programs = new();
    private readonly Dictionary<(nint Program, string Kernel), CompiledKernel> _kernels = new();
    private readonly Lock _programSync = new();

    /// <summary>
    /// Kernels by the identity of their source string, then name and options. Callers hand the same instance for the
    /// same source on every launch (a fused program's rendered variant, a kernel file's text), so a launch finds its
    /// kernel without joining the prelude and hashing the whole text, which cost 8–14 µs a launch. A string not seen
    /// before takes the hashed path once; entries go with their strings.
    /// </summary>
    private readonly ConditionalWeakTable<string, Dictionary<(string SourceName, string Kernel, string Options), CompiledKernel>> _kernelsBySource = new();

    private protected GpuDevice(string? kernelCacheDirectory) =>
        DiskCache = new KernelDiskCache(kernelCacheDirectory ?? KernelDiskCache.DefaultDirectory());

    internal KernelDiskCache DiskCache { get; }

    /// <summary>Programs this instance compiled from source (a cold build).</summary>
    public int BuildsFromSource { get; private set; }

    /// <summary>Programs this instance loaded from the on-disk binary cache.</summary>
    public int BuildsFromBinary { get; private set; }

    public CompiledKernel GetKernel(string source, string sourceName, string kernelName, string options = "")
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceName);
        ArgumentNullException.ThrowIfNull(kernelName);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        lock (_programSync)
        {
            // Checked again here: a backend's Dispose can fail before it releases the programs (and empties this table).
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            if (_kernelsBySource.TryGetValue(source, out var known) && known.TryGetValue((sourceName, kernelName, options), out var seen))
                return seen;
        }
        var prelude = KernelSources.PreludeName(Dialect);
        // The prelude gets its own file name too, so an error inside it is not blamed on the kernel.
        var text = $"#line 1 \"{prelude}\"\n{KernelSources.Prelude(Dialect)}\n" +
                   $"#line 1 \"{sourceName.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"\n{source}";
        var fullOptions = ProgramOptions(options);
        // A binary is only valid for the exact text and options, and the device, driver and compiler that produced it.
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\0', [text, fullOptions, .. CompilerIdentity]))));
        lock (_programSync)
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            if (!_programs.TryGetValue(key, out var program))
            {
                program = LoadOrBuild(key, text, sourceName, fullOptions);
                _programs[key] = program;
            }
            if (!_kernels.TryGetValue((program, kernelName), out var kernel))
            {
                kernel = CreateKernel(program, kernelName, sourceName);
                _kernels[(program, kernelName)] = kernel;
            }
            _kernelsBySource.GetOrCreateValue(source)[(sourceName, kernelName, options)] = kernel;
            return kernel;
        }
    }

    private nint LoadOrBuild(string key, string text, string sourceName, string options)
    {
        if (DiskCache.TryRead(key) is { } cached)
        {
            var loaded = LoadProgramBinary(cached, options);
            if (loaded != 0)
            {
                BuildsFromBinary++;
                return loaded;
            }
            DiskCache.Remove(key);   // another driver's binary, or a payload the driver rejects: rebuild and replace it
        }
        var (program, binary) = BuildProgram(text, sourceName, options);
        BuildsFromSource++;
        if (binary.Length > 0) DiskCache.Write(key, binary);
        return program;
    }

    /// <summary>Releases every kernel and program; a backend calls it while disposing, before it frees the context.</summary>
    private protected void ReleasePrograms()
    {
        lock (_programSync)
        {
            foreach (var kernel in _kernels.Values) ReleaseKernel(kernel);
            _kernels.Clear();
            _kernelsBySource.Clear();
            foreach (var program in _programs.Values) ReleaseProgram(program);
            _programs.Clear();
        }
    }

    /// <summary>The full option string of a build: the backend's own, then the caller's <paramref name="options"/>.</summary>
    private protected abstract string ProgramOptions(string options);

    /// <summary>What besides the text and options decides the binary: device, driver and compiler versions.</summary>
    private protected abstract IEnumerable<string> CompilerIdentity { get; }

    /// <summary>A program from a cached binary, or zero when the driver rejects it.</summary>
    private protected abstract nint LoadProgramBinary(byte[] binary, string options);

    /// <summary>
    /// Compiles <paramref name="text"/>; returns the loaded program and its binary for the disk cache (empty when the
    /// driver offers none). A compile error throws <see cref="KernelBuildException"/> with the log.
    /// </summary>
    private protected abstract (nint Program, byte[] Binary) BuildProgram(string text, string sourceName, string options);

    private protected abstract CompiledKernel CreateKernel(nint program, string kernelName, string sourceName);

    private protected abstract void ReleaseKernel(CompiledKernel kernel);

    private protected abstract void ReleaseProgram(nint program);

    private protected static byte[] Utf8Z(string text) => Encoding.UTF8.GetBytes(text + "\0");

    /// <summary>"first error: ..." of a build log (the first line with "error:"), which <c>#line</c> points into the kernel's file.</summary>
    private protected static string FirstError(string log, string failure)
    {
        var firstError = log.Split('\n').FirstOrDefault(line => line.Contains("error:", StringComparison.Ordinal));
        return firstError is null ? failure : $"{failure}; first error: {firstError.Trim()}";
    }
}
