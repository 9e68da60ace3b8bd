using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;
using Engine.Optim.Structured;
using Engine.Tensors;
using Xunit;

namespace Engine.Tests.Structured;

public class DeviceMathTests
{
    private static FusedProgram Program()
    {
        var f = new FusionBuilder("storage_check");
        var x = f.Input("x");
        var s = f.Input("source", DType.BFloat16);
        f.Output("y", x + s);
        f.Output("rounded", x * 2f, DType.BFloat16);
        return f.Build();
    }

    [Fact]
    public void RunNamesTheOperandWhoseStorageIsNotTheProgramsOwn()
    {
        var device = Support.Backends.Get("cpu");
        var program = Program();
        using var x = Tensor.Ones(device, 4);
        using var y = Tensor.Zeros(device, 4);
        using var wideSource = Tensor.Ones(device, 4);
        using var source = wideSource.Cast(DType.BFloat16);
        using var rounded = Tensor.Zeros(device, DType.BFloat16, 4);

        var input = Assert.Throws<ArgumentException>(() => DeviceMath.Run(program, [], [y, rounded], [x, wideSource]));
        Assert.Contains("input 'source' is stored as BFloat16, got a Float32 tensor", input.Message);
        var output = Assert.Throws<ArgumentException>(() => DeviceMath.Run(program, [], [y, y], [x, source]));
        Assert.Contains("output 'rounded' is stored as BFloat16, got a Float32 tensor", output.Message);

        DeviceMath.Run(program, [], [y, rounded], [x, source]);
        Assert.Equal([2f, 2f, 2f, 2f], y.ToArray());
    }
}
