namespace Engine.Kernels.Devices;

/// <summary>The backend family a device belongs to.</summary>
public enum DeviceKind { Cpu, OpenCl, Cuda }

/// <summary>Element type of a buffer. Both are 4 bytes wide, so buffers count elements, not bytes.</summary>
public enum DType { Float32, Int32 }
