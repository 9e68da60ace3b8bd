using System.Runtime.InteropServices;

namespace Engine.Kernels.OpenCl;

/// <summary>
/// The OpenCL C API functions this backend uses (OpenCL 1.2 entry points). Handles are opaque pointers;
/// every function returning cl_int is checked by the caller through <see cref="ClError.Check"/>.
/// The library is resolved through <see cref="Devices.NativeLibraries"/> ("OpenCL" → libOpenCL.so.1, ...).
/// </summary>
internal static unsafe partial class ClNative
{
    public const string Library = "OpenCL";

    [LibraryImport(Library)]
    public static partial int clGetPlatformIDs(uint numEntries, nint* platforms, uint* numPlatforms);

    [LibraryImport(Library)]
    public static partial int clGetPlatformInfo(nint platform, uint paramName, nuint valueSize, void* value, nuint* valueSizeRet);

    [LibraryImport(Library)]
    public static partial int clGetDeviceIDs(nint platform, ulong deviceType, uint numEntries, nint* devices, uint* numDevices);

    [LibraryImport(Library)]
    public static partial int clGetDeviceInfo(nint device, uint paramName, nuint valueSize, void* value, nuint* valueSizeRet);

    [LibraryImport(Library)]
    public static partial nint clCreateContext(nint* properties, uint numDevices, nint* devices, nint notify, nint userData, int* errcode);

    [LibraryImport(Library)]
    public static partial nint clCreateCommandQueue(nint context, nint device, ulong properties, int* errcode);

    [LibraryImport(Library)]
    public static partial nint clCreateBuffer(nint context, ulong flags, nuint size, void* hostPtr, int* errcode);

    [LibraryImport(Library)]
    public static partial int clEnqueueWriteBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size, void* ptr,
                                                   uint numEvents, nint* waitList, nint* evt);

    [LibraryImport(Library)]
    public static partial int clEnqueueReadBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size, void* ptr,
                                                  uint numEvents, nint* waitList, nint* evt);

    [LibraryImport(Library)]
    public static partial int clEnqueueFillBuffer(nint queue, nint buffer, void* pattern, nuint patternSize, nuint offset, nuint size,
                                                  uint numEvents, nint* waitList, nint* evt);

    [LibraryImport(Library)]
    public static partial nint clCreateProgramWithSource(nint context, uint count, byte** strings, nuint* lengths, int* errcode);

    [LibraryImport(Library)]
    public static partial nint clCreateProgramWithBinary(nint context, uint numDevices, nint* devices, nuint* lengths, byte** binaries,
                                                         int* binaryStatus, int* errcode);

    [LibraryImport(Library)]
    public static partial int clBuildProgram(nint program, uint numDevices, nint* devices, byte* options, nint notify, nint userData);

    [LibraryImport(Library)]
    public static partial int clGetProgramBuildInfo(nint program, nint device, uint paramName, nuint valueSize, void* value, nuint* valueSizeRet);

    [LibraryImport(Library)]
    public static partial int clGetProgramInfo(nint program, uint paramName, nuint valueSize, void* value, nuint* valueSizeRet);

    [LibraryImport(Library)]
    public static partial nint clCreateKernel(nint program, byte* kernelName, int* errcode);

    [LibraryImport(Library)]
    public static partial int clSetKernelArg(nint kernel, uint index, nuint size, void* value);

    [LibraryImport(Library)]
    public static partial int clEnqueueNDRangeKernel(nint queue, nint kernel, uint workDim, nuint* globalOffset, nuint* globalSize,
                                                     nuint* localSize, uint numEvents, nint* waitList, nint* evt);

    [LibraryImport(Library)]
    public static partial int clGetEventProfilingInfo(nint evt, uint paramName, nuint valueSize, void* value, nuint* valueSizeRet);

    [LibraryImport(Library)]
    public static partial int clWaitForEvents(uint numEvents, nint* events);

    [LibraryImport(Library)]
    public static partial int clFinish(nint queue);

    [LibraryImport(Library)]
    public static partial int clReleaseMemObject(nint mem);

    [LibraryImport(Library)]
    public static partial int clReleaseKernel(nint kernel);

    [LibraryImport(Library)]
    public static partial int clReleaseProgram(nint program);

    [LibraryImport(Library)]
    public static partial int clReleaseCommandQueue(nint queue);

    [LibraryImport(Library)]
    public static partial int clReleaseContext(nint context);

    [LibraryImport(Library)]
    public static partial int clReleaseEvent(nint evt);
}
