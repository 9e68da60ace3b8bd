namespace Engine.Kernels.Devices;

/// <summary>The backend family a device belongs to.</summary>
public enum DeviceKind { Cpu, OpenCl, Cuda }
