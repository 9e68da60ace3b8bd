using System.Text;
using Engine.Kernels.Devices;
using Engine.Kernels.Gpu;

namespace Engine.Kernels.Cuda;

/// <summary>
/// Module builds of a <see cref="CudaDevice"/> (the caching is <see cref="Gpu.GpuDevice"/>'s): NVRTC compiles the
/// CUDA C to a cubin for the device's own architecture, so the driver loads machine code and JIT-compiles nothing.
/// </summary>
public sealed unsafe partial class CudaDevice
{
    /// <summary>The device's architecture and line info for profilers, then the caller's options.</summary>
    private protected override string ProgramOptions(string options) =>
        $"--gpu-architecture={Info.Architecture} -lineinfo {options}".Trim();

    private protected override IEnumerable<string> CompilerIdentity => ["cuda", Info.Architecture, Info.NvrtcVersion, Info.DriverVersion];

    private protected override nint LoadProgramBinary(byte[] binary, string options)
    {
        Enter();
        nint module;
        fixed (byte* p = binary)
            return CudaNative.cuModuleLoadData(&module, p) == Cu.Success ? module : 0;
    }

    private protected override (nint Program, byte[] Binary) BuildProgram(string text, string sourceName, string options)
    {
        var cubin = Compile(text, sourceName, options.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Enter();
        nint module;
        fixed (byte* image = cubin)
            CudaError.Check(CudaNative.cuModuleLoadData(&module, image), $"cuModuleLoadData({sourceName})");
        return (module, cubin);
    }

    private protected override CompiledKernel CreateKernel(nint program, string kernelName, string sourceName)
    {
        nint function;
        fixed (byte* name = Utf8Z(kernelName))
            CudaError.Check(CudaNative.cuModuleGetFunction(&function, program, name), $"cuModuleGetFunction({kernelName}) in {sourceName}");
        return new GpuKernel(this, kernelName, sourceName, function);
    }

    /// <summary>A function belongs to its module: unloading the module releases it.</summary>
    private protected override void ReleaseKernel(CompiledKernel kernel) { }

    private protected override void ReleaseProgram(nint program)
    {
        Enter();
        CudaError.Check(CudaNative.cuModuleUnload(program), "cuModuleUnload");
    }

    private static byte[] Compile(string text, string sourceName, string[] options)
    {
        nint program;
        fixed (byte* s = Utf8Z(text))
        fixed (byte* n = Utf8Z(sourceName))
            CudaError.CheckNvrtc(NvrtcNative.nvrtcCreateProgram(&program, s, n, 0, null, null), $"nvrtcCreateProgram({sourceName})");
        try
        {
            // All options in one pinned block of NUL-terminated strings.
            var encoded = options.Select(Utf8Z).ToArray();
            var block = encoded.SelectMany(o => o).ToArray();
            int result;
            fixed (byte* b = block)
            {
                var pointers = stackalloc byte*[encoded.Length];
                for (int i = 0, at = 0; i < encoded.Length; at += encoded[i].Length, i++) pointers[i] = b + at;
                result = NvrtcNative.nvrtcCompileProgram(program, encoded.Length, pointers);
            }
            if (result == NvrtcNative.ErrorCompilation)
            {
                var log = ProgramLog(program);
                throw new KernelBuildException(sourceName, FirstError(log, "NVRTC_ERROR_COMPILATION"), log);
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
}
