using Engine.Kernels.Devices;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Ops;

public class FillTests
{
    private static readonly Gen<(int Count, int Offset, float Value, bool AsInt)> Cases =
        from count in Gen.OneOf(Gen.Choose(0, 40), Gen.Choose(1, 5000), Gen.Elements(1 << 17, (1 << 17) + 13))
        from offset in Gen.Choose(0, 7)
        from value in Gen.Elements(0f, 1f, -3.5f, 1e-30f, 123456f, float.NegativeInfinity)
        from asInt in ArbMap.Default.GeneratorFor<bool>()
        select (count, offset, value, asInt);

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Fill_writes_the_value_into_exactly_the_range(string backend)
    {
        var device = Backends.Get(backend);
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            if (c.AsInt && float.IsInfinity(c.Value)) return;
            const int guard = 3;
            var initial = DeviceData.Floats(c.Count, c.Offset + c.Count + guard);
            using var buffer = device.Upload(initial);
            device.Fill(new BufferSlice(buffer, c.Offset), c.Count, c.Value, c.AsInt ? DType.Int32 : DType.Float32);
            var bits = device.ReadInts(buffer);
            int expectedBits = c.AsInt ? (int)c.Value : BitConverter.SingleToInt32Bits(c.Value);
            for (int i = 0; i < bits.Length; i++)
            {
                bool inside = i >= c.Offset && i < c.Offset + c.Count;
                int want = inside ? expectedBits : BitConverter.SingleToInt32Bits(initial[i]);
                Assert.True(want == bits[i], $"{c}: element {i} has bits {bits[i]:x8}, expected {want:x8}");
            }
        }).Check(TestSeeds.Quick(60));
    }

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Arange_writes_start_plus_index_times_step(string backend)
    {
        var device = Backends.Get(backend);
        var cases = from count in Gen.OneOf(Gen.Choose(0, 100), Gen.Elements(70001))
                    from start in Gen.Elements(0f, -5f, 2.5f)
                    from step in Gen.Elements(1f, 0.5f, -0.25f, 3f)
                    select (count, start, step);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            using var buffer = device.Allocate(c.count + 2);
            device.Arange(new BufferSlice(buffer, 1), c.count, c.start, c.step);
            var result = device.ReadFloats(buffer);
            Assert.Equal(0f, result[0]);
            Assert.Equal(0f, result[^1]);
            for (int i = 0; i < c.count; i++)
            {
                double expected = c.start + (double)i * c.step;
                Close.Check(expected, result[i + 1], expected, $"arange{c}[{i}]", relative: 1e-6);
            }
        }).Check(TestSeeds.Quick(30));
    }
}
