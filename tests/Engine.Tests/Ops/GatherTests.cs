using Engine.Kernels.Devices;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Ops;

public class GatherTests
{
    private static readonly Gen<(int Rows, int Count, int Dim, int Seed)> Cases =
        from rows in Gen.OneOf(Gen.Choose(1, 10), Gen.Elements(65, 300))
        from count in Gen.OneOf(Gen.Choose(0, 40), Gen.Elements(1000, 4099))
        from dim in Gen.OneOf(Gen.Choose(1, 20), Gen.Elements(63, 65, 130, 768))
        from seed in Gen.Choose(0, int.MaxValue)
        select (rows, count, dim, seed);

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void Gather_copies_the_indexed_rows(string backend)
    {
        var device = Backends.Get(backend);
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            const int tableOffset = 3;
            var table = DeviceData.Floats(c.Seed, tableOffset + (long)c.Rows * c.Dim);
            var indices = DeviceData.Ints(c.Seed + 1, c.Count, 0, c.Rows);
            using var dt = device.Upload(table);
            using var di = device.Upload(indices);
            using var dd = device.Allocate((long)c.Count * c.Dim + 1);
            device.Gather(new BufferSlice(dt, tableOffset), di, dd, c.Count, c.Dim);
            var result = device.ReadFloats(dd);
            for (int i = 0; i < c.Count; i++)
            for (int j = 0; j < c.Dim; j++)
                if (table[tableOffset + (long)indices[i] * c.Dim + j] != result[(long)i * c.Dim + j])
                    Assert.Fail($"gather {c}: dst[{i}, {j}] is not table[{indices[i]}, {j}]");
            Assert.Equal(0f, result[^1]);
        }).Check(TestSeeds.Quick(60));
    }

    /// <summary>
    /// GPU backends run a work-item per table element while rows × indices ≤ 2²² and one per column beyond: a case on
    /// each side of that line, whatever the generator draws.
    /// </summary>
    private static readonly (int Rows, int Count, int Dim, int Seed)[] ScatterFixed = [(300, 4099, 65, 1), (1100, 4099, 5, 2)];

    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void ScatterAdd_accumulates_into_the_indexed_rows(string backend)
    {
        var device = Backends.Get(backend);
        foreach (var c in ScatterFixed) Verify(c);
        Prop.ForAll(Cases.ToArbitrary(), c => Verify(c)).Check(TestSeeds.Quick(40));

        void Verify((int Rows, int Count, int Dim, int Seed) c)
        {
            var table = DeviceData.Floats(c.Seed, (long)c.Rows * c.Dim);
            var src = DeviceData.Floats(c.Seed + 1, (long)c.Count * c.Dim);
            // Few rows and many indices: most rows receive several updates.
            var indices = DeviceData.Ints(c.Seed + 2, c.Count, 0, c.Rows);
            using var dt = device.Upload(table);
            using var ds = device.Upload(src);
            using var di = device.Upload(indices);
            device.ScatterAdd(ds, di, dt, c.Count, c.Dim);
            var first = device.ReadFloats(dt);
            var expected = table.Select(v => (double)v).ToArray();
            var magnitude = table.Select(v => (double)Math.Abs(v)).ToArray();
            for (int i = 0; i < c.Count; i++)
            for (int j = 0; j < c.Dim; j++)
            {
                long at = (long)indices[i] * c.Dim + j;
                expected[at] += src[(long)i * c.Dim + j];
                magnitude[at] += Math.Abs(src[(long)i * c.Dim + j]);
            }
            for (int k = 0; k < expected.Length; k++)
                Close.Check(expected[k], first[k], magnitude[k], () => $"scatter-add {c}: table element {k}", relative: 1e-6);
            // Every backend and kernel adds in index order, i = 0, 1, ..., in fp32: the same bits as this host loop.
            var ordered = (float[])table.Clone();
            for (int i = 0; i < c.Count; i++)
                for (int j = 0; j < c.Dim; j++)
                    ordered[(long)indices[i] * c.Dim + j] += src[(long)i * c.Dim + j];
            Assert.Equal(ordered, first);

            // Deterministic: the same inputs give bit-identical results.
            device.Write<float>(dt, table);
            device.ScatterAdd(ds, di, dt, c.Count, c.Dim);
            Assert.Equal(first, device.ReadFloats(dt));
        }
    }
}
