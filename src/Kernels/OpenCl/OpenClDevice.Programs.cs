using System.Security.Cryptography;
using System.Text;
using Engine.Kernels.Devices;

namespace Engine.Kernels.OpenCl;

/// <summary>
/// Program compilation of an <see cref="OpenClDevice"/>: prelude + <c>#line</c> + kernel source, cached in memory
/// and as binaries on disk (a rebuild from a binary takes milliseconds instead of a second on PoCL).
/// </summary>
public sealed unsafe partial class OpenClDevice
{
    private readonly Dictionary<string, nint> _programs = new();
    private readonly Dictionary<(nint Program, string Kernel), OpenClKernel> _kernels = new();

    internal KernelDiskCache DiskCache { get; }

    /// <summary>Programs this instance compiled from source (a cold build).</summary>
    public int BuildsFromSource { get; private set; }

    /// <summary>Programs this instance loaded from the on-disk binary cache.</summary>
    public int BuildsFromBinary { get; private set; }

    public override CompiledKernel GetKernel(string source, string sourceName, string kernelName, string options = "")
    {
        ThrowIfDisposed();
        var text = ComposeSource(source, sourceName);
        var fullOptions = ComposeOptions(options);
        var key = CacheKey(text, fullOptions);
        lock (_sync)
        {
            ThrowIfDisposed();
            if (!_programs.TryGetValue(key, out var program))
            {
                program = LoadOrBuild(key, text, sourceName, fullOptions);
                _programs[key] = program;
            }
            if (_kernels.TryGetValue((program, kernelName), out var kernel)) return kernel;

            int status;
            nint handle;
            fixed (byte* name = Utf8Z(kernelName))
                handle = ClNative.clCreateKernel(program, name, &status);
            ClError.Check(status, $"clCreateKernel({kernelName}) in {sourceName}");
            kernel = new OpenClKernel(this, kernelName, sourceName, handle);
            _kernels[(program, kernelName)] = kernel;
            return kernel;
        }
    }

    /// <summary>The prelude gets its own file name too, so an error inside it is not blamed on the kernel.</summary>
    private static string ComposeSource(string source, string sourceName) =>
        $"#line 1 \"{KernelSources.PreludeName(KernelDialect.OpenCl)}\"\n{KernelSources.Prelude(KernelDialect.OpenCl)}\n" +
        $"#line 1 \"{sourceName.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"\n{source}";

    private string ComposeOptions(string options)
    {
        var full = SupportsFp64 ? "-cl-std=CL1.2 -DHAS_FP64=1" : "-cl-std=CL1.2";
        return string.IsNullOrWhiteSpace(options) ? full : $"{full} {options.Trim()}";
    }

    /// <summary>A binary is only valid for the exact source, options, device and driver that produced it.</summary>
    private string CacheKey(string text, string options)
    {
        var identity = string.Join('\0', text, options, Info.Name, Info.DriverVersion, Info.PlatformVersion, Info.DeviceVersion);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)));
    }

    private nint LoadOrBuild(string key, string text, string sourceName, string options)
    {
        if (DiskCache.TryRead(key) is { } cached)
        {
            var loaded = TryCreateFromBinary(cached, options);
            if (loaded != 0)
            {
                BuildsFromBinary++;
                return loaded;
            }
            DiskCache.Remove(key);
        }

        var program = BuildFromSource(text, sourceName, options);
        BuildsFromSource++;
        var binary = ProgramBinary(program, sourceName);
        if (binary.Length > 0) DiskCache.Write(key, binary);
        return program;
    }

    private nint BuildFromSource(string text, string sourceName, string options)
    {
        int status;
        nint program;
        var bytes = Encoding.UTF8.GetBytes(text);
        fixed (byte* s = bytes)
        {
            var strings = s;
            var length = (nuint)bytes.Length;
            program = ClNative.clCreateProgramWithSource(_context, 1, &strings, &length, &status);
        }
        ClError.Check(status, $"clCreateProgramWithSource({sourceName})");

        status = Build(program, options);
        if (status == Cl.Success) return program;
        var log = status == Cl.BuildProgramFailure ? BuildLog(program) : "";
        ReleaseProgram(program);
        if (status != Cl.BuildProgramFailure) ClError.Check(status, $"clBuildProgram({sourceName}, \"{options}\")");
        throw new KernelBuildException(sourceName, BuildFailureSummary(log), log);
    }

    /// <summary>Zero when the binary is rejected (other driver, corrupt payload): the caller then builds from source.</summary>
    private nint TryCreateFromBinary(byte[] binary, string options)
    {
        var device = Info.DeviceHandle;
        int binaryStatus, status;
        nint program;
        fixed (byte* b = binary)
        {
            var pointer = b;
            var length = (nuint)binary.Length;
            program = ClNative.clCreateProgramWithBinary(_context, 1, &device, &length, &pointer, &binaryStatus, &status);
        }
        if (status != Cl.Success || binaryStatus != Cl.Success)
        {
            if (program != 0) ReleaseProgram(program);
            return 0;
        }
        if (Build(program, options) == Cl.Success) return program;
        ReleaseProgram(program);
        return 0;
    }

    private int Build(nint program, string options)
    {
        var device = Info.DeviceHandle;
        fixed (byte* o = Utf8Z(options))
            return ClNative.clBuildProgram(program, 1, &device, o, 0, 0);
    }

    private string BuildLog(nint program)
    {
        nuint size;
        ClError.Check(ClNative.clGetProgramBuildInfo(program, Info.DeviceHandle, Cl.ProgramBuildLog, 0, null, &size), "clGetProgramBuildInfo");
        var bytes = new byte[(int)size];
        fixed (byte* b = bytes)
            ClError.Check(ClNative.clGetProgramBuildInfo(program, Info.DeviceHandle, Cl.ProgramBuildLog, size, b, null), "clGetProgramBuildInfo");
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0', '\n', ' ');
    }

    /// <summary>The first "file:line:col: error: ..." of the log, which <c>#line</c> makes point into the kernel's own file.</summary>
    private static string BuildFailureSummary(string log)
    {
        var firstError = log.Split('\n').FirstOrDefault(line => line.Contains("error:", StringComparison.Ordinal));
        var summary = $"clBuildProgram failed: {ClError.Name(Cl.BuildProgramFailure)} ({Cl.BuildProgramFailure})";
        return firstError is null ? summary : $"{summary}; first error: {firstError.Trim()}";
    }

    private byte[] ProgramBinary(nint program, string sourceName)
    {
        nuint size;
        ClError.Check(ClNative.clGetProgramInfo(program, Cl.ProgramBinarySizes, (nuint)sizeof(nuint), &size, null),
                      $"clGetProgramInfo({sourceName}, CL_PROGRAM_BINARY_SIZES)");
        if (size == 0) return [];
        var binary = new byte[size];
        fixed (byte* b = binary)
        {
            var pointer = b;
            ClError.Check(ClNative.clGetProgramInfo(program, Cl.ProgramBinaries, (nuint)sizeof(nint), &pointer, null),
                          $"clGetProgramInfo({sourceName}, CL_PROGRAM_BINARIES)");
        }
        return binary;
    }

    private void ReleaseCompiled()
    {
        foreach (var kernel in _kernels.Values)
            ClError.Check(ClNative.clReleaseKernel(kernel.Handle), $"clReleaseKernel({kernel.Name})");
        _kernels.Clear();
        foreach (var program in _programs.Values) ReleaseProgram(program);
        _programs.Clear();
    }

    private static void ReleaseProgram(nint program) =>
        ClError.Check(ClNative.clReleaseProgram(program), "clReleaseProgram");

    private static byte[] Utf8Z(string text) => Encoding.UTF8.GetBytes(text + "\0");
}
