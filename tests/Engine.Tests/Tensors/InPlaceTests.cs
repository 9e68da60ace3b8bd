using Engine.Tensors;
using Xunit;

namespace Engine.Tests.Tensors;

public class InPlaceTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    [Theory, MemberData(nameof(Backends))]
    public void AddCopyFillAndExpandWriteIntoExistingStorage(string backend)
    {
        var device = Support.Backends.Get(backend);
        using var flat = Tensor.Arange(device, 12);
        using var view = flat.Slice(0, 4, 6).Reshape(2, 3);     // elements 4..9 of the flat buffer
        using var row = Tensor.FromArray(device, [10f, 20f, 30f], 3);
        view.AddInPlace(row);                                     // broadcast over both rows
        Assert.Equal(new[] { 0f, 1, 2, 3, 14, 25, 36, 17, 28, 39, 10, 11 }, flat.ToArray());
        using var col = Tensor.FromArray(device, [-1f, -2f], 2, 1);
        view.CopyFrom(col);
        Assert.Equal(new[] { 0f, 1, 2, 3, -1, -1, -1, -2, -2, -2, 10, 11 }, flat.ToArray());
        view.Fill(0.5f);
        Assert.Equal(new[] { 0f, 1, 2, 3, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 10, 11 }, flat.ToArray());
        using var expanded = row.Expand(4, 3);
        Assert.Equal(0, expanded.Strides[0]);
        Assert.Equal(new[] { 10f, 20, 30, 10, 20, 30, 10, 20, 30, 10, 20, 30 }, expanded.ToArray());
    }

    [Fact]
    public void InPlaceOpsRejectStridedTargetsAndBadShapes()
    {
        var device = Support.Backends.Get("cpu");
        using var t = Tensor.Zeros(device, 3, 4);
        using var tr = t.Transpose();
        Assert.Contains("strided view", Assert.Throws<InvalidOperationException>(() => tr.Fill(1f)).Message);
        using var wrong = Tensor.Zeros(device, 5);
        var e = Assert.Throws<ArgumentException>(() => t.AddInPlace(wrong));
        Assert.Contains("[5]", e.Message);
        Assert.Contains("[3, 4]", e.Message);
        Assert.Contains("[3, 4]", Assert.Throws<ArgumentException>(() => t.Expand(2, 4)).Message);
    }
}
