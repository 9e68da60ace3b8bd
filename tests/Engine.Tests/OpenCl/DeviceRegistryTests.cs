using System.Runtime.Intrinsics;
using Engine.Kernels.Devices;
using Xunit;
using Xunit.Abstractions;

namespace Engine.Tests.OpenCl;

[Collection("OpenCl")]
public sealed class DeviceRegistryTests(ITestOutputHelper output)
{
    [Fact]
    public void List_HasCpu_AndEveryOpenClDevice()
    {
        var devices = DeviceRegistry.List();
        foreach (var d in devices) output.WriteLine(d.ToString());
        Assert.Equal("cpu", devices[0].Id);
        Assert.Equal(DeviceKind.Cpu, devices[0].Kind);
        // The vectors the cpu kernels run on (CI checks this line to know its second pass ran without AVX-512).
        string width = Vector512.IsHardwareAccelerated ? "512-bit" : Vector256.IsHardwareAccelerated ? "256-bit"
                     : Vector128.IsHardwareAccelerated ? "128-bit" : "none";
        Assert.Contains(new KeyValuePair<string, string>("vectors", width), devices[0].Details);
        Assert.Equal(DeviceRegistry.AvailableIds, devices.Select(d => d.Id).ToArray());
        if (!OpenClFixture.Available(output)) return;
        var openCl = Assert.Single(devices, d => d.Id == "opencl:0");
        Assert.Equal(DeviceKind.OpenCl, openCl.Kind);
        Assert.True(openCl.MemoryBytes > 0);
        Assert.Contains(openCl.Details, kv => kv.Key == "driver" && kv.Value.Length > 0);
        Assert.Null(DeviceRegistry.OpenClAbsenceReason);
    }

    [Fact]
    public void Open_ReturnsOneSharedInstancePerDevice()
    {
        Assert.Same(DeviceRegistry.Open("cpu"), DeviceRegistry.Open(" CPU "));
        if (!OpenClFixture.Available(output)) return;
        var device = DeviceRegistry.Open("opencl");
        Assert.Equal("opencl:0", device.Id);
        Assert.Equal(DeviceKind.OpenCl, device.Kind);
        Assert.Same(device, DeviceRegistry.Open("opencl:0"));
        Assert.Same(device, DeviceRegistry.Open("OpenCL:0"));
    }

    [Theory]
    [InlineData("opencl:99", "opencl:99")]
    [InlineData("tpu", "must be cpu, opencl or cuda")]
    [InlineData("cpu:1", "cpu takes no device index")]
    [InlineData("opencl:x", "'x' is not a device index")]
    [InlineData("opencl:-1", "'-1' is not a device index")]
    public void Open_UnknownIds_ListWhatIsAvailable(string id, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() => DeviceRegistry.Open(id));
        output.WriteLine(e.Message);
        Assert.Contains($"no device '{id}'", e.Message);
        Assert.Contains(reason, e.Message);
        Assert.Contains("Available: cpu", e.Message);
    }

    [Fact]
    public void Open_AbsentCudaDevice_SaysWhy()
    {
        var e = Assert.Throws<ArgumentException>(() => DeviceRegistry.Open("cuda:99"));
        output.WriteLine(e.Message);
        Assert.Contains("no device 'cuda:99'", e.Message);
        if (DeviceRegistry.CudaAbsenceReason is { } reason)
            Assert.Contains($"CUDA is unavailable: {reason}", e.Message);
        else
            Assert.Matches(@"there (is 1 CUDA device|are \d+ CUDA devices)", e.Message);
    }
}
