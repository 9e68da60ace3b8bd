using System.Text;
using Engine.Kernels.Devices;
using Engine.Kernels.Gpu;

namespace Engine.Kernels.OpenCl;

/// <summary>
/// Program builds of an <see cref="OpenClDevice"/> (the caching is <see cref="Gpu.GpuDevice"/>'s): OpenCL C 1.2 from
/// source, or a program binary the same driver produced before.
/// </summary>
public sealed unsafe partial class OpenClDevice
{
    private protected override string ProgramOptions(string options)
    {
        var full = SupportsFp64 ? "-cl-std=CL1.2 -DHAS_FP64=1" : "-cl-std=CL1.2";
        return string.IsNullOrWhiteSpace(options) ? full : $"{full} {options.Trim()}";
    }

    private protected override IEnumerable<string> CompilerIdentity =>
        [Info.Name, Info.DriverVersion, Info.PlatformVersion, Info.DeviceVersion];

    private protected override (nint Program, byte[] Binary) BuildProgram(string text, string sourceName, string options)
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
        if (status == Cl.Success) return (program, ProgramBinary(program, sourceName));
        var log = status == Cl.BuildProgramFailure ? BuildLog(program) : "";
        ReleaseProgram(program);
        if (status != Cl.BuildProgramFailure) ClError.Check(status, $"clBuildProgram({sourceName}, \"{options}\")");
        throw new KernelBuildException(sourceName,
            FirstError(log, $"clBuildProgram failed: {ClError.Name(Cl.BuildProgramFailure)} ({Cl.BuildProgramFailure})"), log);
    }

    private protected override nint LoadProgramBinary(byte[] binary, string options)
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

    private protected override CompiledKernel CreateKernel(nint program, string kernelName, string sourceName)
    {
        int status;
        nint handle;
        fixed (byte* name = Utf8Z(kernelName))
            handle = ClNative.clCreateKernel(program, name, &status);
        ClError.Check(status, $"clCreateKernel({kernelName}) in {sourceName}");
        return new GpuKernel(this, kernelName, sourceName, handle);
    }

    private protected override void ReleaseKernel(CompiledKernel kernel) =>
        ClError.Check(ClNative.clReleaseKernel(((GpuKernel)kernel).Handle), $"clReleaseKernel({kernel.Name})");

    private protected override void ReleaseProgram(nint program) =>
        ClError.Check(ClNative.clReleaseProgram(program), "clReleaseProgram");

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
}
