using Engine.Kernels.Fusion;
using Engine.Tests.OpenCl;
using Xunit;
using Xunit.Abstractions;

namespace Engine.Tests.Fusion;

/// <summary>Every standard elementwise program on every backend against the double reference.</summary>
[Collection("OpenCl")]
public sealed class ElementwiseOpsTests(OpenClFixture fixture, ITestOutputHelper output)
{
    public static TheoryData<string> OpNames
    {
        get
        {
            var names = new TheoryData<string>();
            foreach (var (name, _) in ElementwiseOps.All) names.Add(name);
            return names;
        }
    }

    /// <summary>Sizes: 1, odd, not a multiple of 16 or 256, and (cpu) more than one 64K chunk.</summary>
    [Theory, MemberData(nameof(OpNames))]
    public void StandardOpMatchesReference(string name)
    {
        var program = ElementwiseOps.All.Single(p => p.Name == name).Program;
        foreach (var device in FusionKit.Devices(fixture, output))
        {
            long[] sizes = device.Kind == Engine.Kernels.Devices.DeviceKind.Cpu ? [1, 17, 1000, 140_007] : [1, 17, 1000, 4099];
            foreach (var n in sizes)
            {
                var inputs = Enumerable.Range(0, program.InputCount)
                    .Select(i => new HostInput(Operand(name, i, n), [n])).ToArray();
                var scalars = program.ScalarCount == 0 ? Array.Empty<float>() : [name == "pow_scalar" ? 2.5f : -1.75f];
                FusionKit.Check(device, program, [n], inputs, scalars);
            }
        }
    }

    /// <summary>Values inside each op's domain; where's condition is mostly 0/1 with some other non-zero values.</summary>
    private static float[] Operand(string name, int input, long n)
    {
        var data = FusionKit.Random(input * 7919 + (int)n, n, -3f, 3f);
        if (name is "log" or "sqrt" or "rsqrt" or "pow_scalar") return data.Select(v => Math.Abs(v) + 0.05f).ToArray();
        if (name == "div" && input == 1) return data.Select(v => v < 0 ? v - 0.5f : v + 0.5f).ToArray();
        if (name == "where" && input == 0) return data.Select(v => v > 1 ? v : v > 0 ? 1f : 0f).ToArray();
        return data;
    }
}
