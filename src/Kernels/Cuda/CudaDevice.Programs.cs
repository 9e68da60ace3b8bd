using System.Security.Cryptography;
using System.Text;
using Engine.Kernels.Devices;

namespace Engine.Kernels.Cuda;

/// <summary>
/// Kernel compilation of a <see cref="CudaDevice"/>: prelude + <c>#line</c> + kernel source, compiled by NVRTC to a
/// cubin for the device's architecture (no PTX JIT at load), cached in memory and as cubins on disk.
/// </summary>
public sealed unsafe partial class CudaDevice
{
    private readonly Dictionary<string, nint> _modules = new();
    private readonly Dictionary<(nint Module, string Kernel), CudaKernel> _kernels = new();

    internal KernelDiskCache DiskCache { get; }

    /// <summary>Modules this instance compiled with NVRTC (a cold build).</summary>
    public int BuildsFromSource { get; private set; }

    /// <summary>Modules this instance loaded from the on-disk cubin cache.</summary>
    public int BuildsFromBinary { get; private set; }

    public override CompiledKernel GetKernel(string source, string sourceName, string kernelName, string options = "")
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(kernelName);
        ThrowIfDisposed();
        var text = ComposeSource(source, sourceName);
        var fullOptions = ComposeOptions(options);
        var key = CacheKey(text, fullOptions);
        lock (_sync)
        {
            ThrowIfDisposed();
            Enter();
            if (!_modules.TryGetValue(key, out var module))
            {
                module = LoadOrBuild(key, text, sourceName, fullOptions);
                _modules[key] = module;
            }
            if (_kernels.TryGetValue((module, kernelName), out var kernel)) return kernel;
            nint function;
            fixed (byte* name = Utf8Z(kernelName))
                CudaError.Check(CudaNative.cuModuleGetFunction(&function, module, name), $"cuModuleGetFunction({kernelName}) in {sourceName}");
            kernel = new CudaKernel(this, kernelName, sourceName, function);
            _kernels[(module, kernelName)] = kernel;
            return kernel;
        }
    }

    /// <summary>The prelude gets its own file name too, so an error inside it is not blamed on the kernel.</summary>
    private static string ComposeSource(string source, string sourceName) =>
        $"#line 1 \"{KernelSources.PreludeName(KernelDialect.Cuda)}\"\n{KernelSources.Prelude(KernelDialect.Cuda)}\n" +
        $"#line 1 \"{sourceName.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"\n{source}";

    /// <summary>NVRTC options, one per entry: the device's architecture, line info for profilers, then the caller's.</summary>
    private string[] ComposeOptions(string options) =>
        [$"--gpu-architecture={Info.Architecture}", "-lineinfo",
         .. options.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>A cubin is only valid for the exact source, options, architecture and compiler that produced it.</summary>
    private string CacheKey(string text, string[] options)
    {
        var identity = string.Join('\0', ["cuda", text, .. options, Info.Architecture, Info.NvrtcVersion, Info.DriverVersion]);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)));
    }

    private nint LoadOrBuild(string key, string text, string sourceName, string[] options)
    {
        if (DiskCache.TryRead(key) is { } cached)
        {
            var loaded = TryLoadModule(cached);
            if (loaded != 0)
            {
                BuildsFromBinary++;
                return loaded;
            }
            DiskCache.Remove(key);
        }
        var cubin = Compile(text, sourceName, options);
        var module = TryLoadModule(cubin);
        if (module == 0)
        {
            fixed (byte* image = cubin)
                CudaError.Check(CudaNative.cuModuleLoadData(&module, image), $"cuModuleLoadData({sourceName})");
        }
        BuildsFromSource++;
        DiskCache.Write(key, cubin);
        return module;
    }

    /// <summary>Zero when the driver rejects the image (a corrupt or foreign cache entry): the caller compiles afresh.</summary>
    private static nint TryLoadModule(byte[] image)
    {
        nint module;
        fixed (byte* p = image)
            return CudaNative.cuModuleLoadData(&module, p) == Cu.Success ? module : 0;
    }

    private static byte[] Compile(string text, string sourceName, string[] options)
    {
        nint program;
        fixed (byte* s = Utf8Z(text))
        fixed (byte* n = Utf8Z(sourceName))
            CudaError.CheckNvrtc(NvrtcNative.nvrtcCreateProgram(&program, s, n, 0, null, null), $"nvrtcCreateProgram({sourceName})");
        try
        {
            var encoded = options.Select(Utf8Z).ToArray();
            var handles = encoded.Select(o => System.Runtime.InteropServices.GCHandle.Alloc(o, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
            int result;
            try
            {
                var pointers = stackalloc byte*[encoded.Length];
                for (int i = 0; i < encoded.Length; i++) pointers[i] = (byte*)handles[i].AddrOfPinnedObject();
                result = NvrtcNative.nvrtcCompileProgram(program, encoded.Length, pointers);
            }
            finally
            {
                foreach (var h in handles) h.Free();
            }
            if (result == NvrtcNative.ErrorCompilation)
            {
                var log = ProgramLog(program);
                throw new KernelBuildException(sourceName, BuildFailureSummary(log), log);
            }
            CudaError.CheckNvrtc(result, $"nvrtcCompileProgram({sourceName}, \"{string.Join(' ', options)}\")");
            nuint size;
            CudaError.CheckNvrtc(NvrtcNative.nvrtcGetCUBINSize(program, &size), $"nvrtcGetCUBINSize({sourceName})");
            var cubin = new byte[(int)size];
            fixed (byte* c = cubin)
                CudaError.CheckNvrtc(NvrtcNative.nvrtcGetCUBIN(program, c), $"nvrtcGetCUBIN({sourceName})");
            return cubin;
        }
        finally
        {
            NvrtcNative.nvrtcDestroyProgram(&program);
        }
    }

    private static string ProgramLog(nint program)
    {
        nuint size;
        CudaError.CheckNvrtc(NvrtcNative.nvrtcGetProgramLogSize(program, &size), "nvrtcGetProgramLogSize");
        var bytes = new byte[(int)size];
        fixed (byte* b = bytes)
            CudaError.CheckNvrtc(NvrtcNative.nvrtcGetProgramLog(program, b), "nvrtcGetProgramLog");
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0', '\n', ' ');
    }

    /// <summary>The first "file(line): error: ..." of the log, which <c>#line</c> makes point into the kernel's own file.</summary>
    private static string BuildFailureSummary(string log)
    {
        var firstError = log.Split('\n').FirstOrDefault(line => line.Contains("error", StringComparison.Ordinal));
        return firstError is null ? "NVRTC_ERROR_COMPILATION" : $"NVRTC_ERROR_COMPILATION; first error: {firstError.Trim()}";
    }

    private void UnloadModules()
    {
        _kernels.Clear();
        foreach (var module in _modules.Values) CudaError.Check(CudaNative.cuModuleUnload(module), "cuModuleUnload");
        _modules.Clear();
    }

    private static byte[] Utf8Z(string text) => Encoding.UTF8.GetBytes(text + "\0");
}
