using Engine.Tensors;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using static Engine.Tests.Tensors.HostReference;

namespace Engine.Tests.Tensors;

public class ViewTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    [Theory, MemberData(nameof(Backends))]
    public void PermuteThenContiguousMovesEveryElement(string backend)
    {
        var device = Support.Backends.Get(backend);
        var gen = from rank in Gen.Choose(1, 5)
                  from dims in Gen.ArrayOf(Gen.Choose(1, 6), rank)
                  from perm in Gen.Shuffle(Enumerable.Range(0, rank).ToArray())
                  select (dims, perm.ToArray());
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var (dims, perm) = c;
            var x = Enumerable.Range(0, (int)Count(dims)).Select(i => (float)i).ToArray();
            using var t = Tensor.FromArray(device, x, dims);
            using var p = t.Permute(perm);
            var outShape = perm.Select(i => dims[i]).ToArray();
            Assert.Equal(outShape, p.Shape.ToArray());
            var expected = new double[x.Length];
            for (long f = 0; f < x.Length; f++)
            {
                var idx = Unflatten(f, outShape);
                var src = new int[dims.Length];
                for (int i = 0; i < perm.Length; i++) src[perm[i]] = idx[i];
                expected[f] = x[BroadcastIndex(dims, src)];
            }
            AssertClose(expected, p.ToArray(), 0, 0, "permute");
        }).Check(TestSeeds.Quick(40));
    }

    [Theory, MemberData(nameof(Backends))]
    public void SliceReshapeConcatRoundTrip(string backend)
    {
        var device = Support.Backends.Get(backend);
        var x = Enumerable.Range(0, 4 * 6 * 3).Select(i => (float)i).ToArray();
        using var t = Tensor.FromArray(device, x, 4, 6, 3);
        using var a = t.Slice(1, 0, 2);
        using var b = t.Slice(1, 2, 1);
        using var c = t.Slice(1, 3, 3);
        using var joined = Tensor.Concat(1, a, b, c);
        Assert.Equal(x, joined.ToArray());
        using var r = t.Reshape(-1, 3);
        Assert.Equal(new[] { 24, 3 }, r.Shape.ToArray());
        Assert.True(r.IsContiguous);
        using var tr = t.Transpose(0, 2);       // non-contiguous: Reshape copies
        using var flat = tr.Reshape(-1);
        var expected = new float[x.Length];
        int f = 0;
        for (int k = 0; k < 3; k++) for (int j = 0; j < 6; j++) for (int i = 0; i < 4; i++) expected[f++] = x[(i * 6 + j) * 3 + k];
        Assert.Equal(expected, flat.ToArray());
        using var rows = Tensor.Concat(0, t, t);
        Assert.Equal(x.Concat(x).ToArray(), rows.ToArray());
    }

    [Fact]
    public void ViewsShareStorageAndOutliveTheirBase()
    {
        var device = Support.Backends.Get("cpu");
        var t = Tensor.FromArray(device, [1f, 2f, 3f, 4f], 2, 2);
        var view = t.Transpose();
        t.Dispose();
        Assert.Equal(new[] { 1f, 3f, 2f, 4f }, view.ToArray());
        view.Dispose();
        Assert.Throws<ObjectDisposedException>(() => view.ToArray());
    }

    [Fact]
    public void DisposedTensorThrowsNamingItsShape()
    {
        var t = Tensor.Zeros(Support.Backends.Get("cpu"), 3, 5);
        t.Dispose();
        var e = Assert.Throws<ObjectDisposedException>(() => t.Sum());
        Assert.Contains("[3, 5]", e.Message);
    }

    [Fact]
    public void ScopeDisposesTemporariesButKeepsWhatItIsTold()
    {
        var device = Support.Backends.Get("cpu");
        Tensor kept, temp;
        using (var scope = new TensorScope())
        {
            temp = Tensor.Ones(device, 4);
            kept = scope.Keep(temp * 2f);
        }
        Assert.True(temp.IsDisposed);
        Assert.False(kept.IsDisposed);
        Assert.Equal(new[] { 2f, 2f, 2f, 2f }, kept.ToArray());
        kept.Dispose();
    }

    [Fact]
    public void WhatAScopeRunsUntrackedOutlivesItAndTheScopeTracksAgainAfterwards()
    {
        var device = Support.Backends.Get("cpu");
        Tensor untracked, after, afterThrow;
        using (new TensorScope())
        {
            untracked = TensorScope.CreateUntracked(() => Tensor.Ones(device, 4));
            after = Tensor.Ones(device, 4);
            Assert.Throws<InvalidOperationException>(() => TensorScope.CreateUntracked<Tensor>(() => throw new InvalidOperationException()));
            afterThrow = Tensor.Ones(device, 4);
        }
        Assert.False(untracked.IsDisposed);
        Assert.True(after.IsDisposed);
        Assert.True(afterThrow.IsDisposed);
        untracked.Dispose();
    }

    [Fact]
    public void BadViewsNameTheProblem()
    {
        using var t = Tensor.Zeros(Support.Backends.Get("cpu"), 4, 6);
        Assert.Contains("[4, 6]", Assert.Throws<ArgumentException>(() => t.Reshape(5, 5)).Message);
        Assert.Contains("size 6", Assert.Throws<ArgumentOutOfRangeException>(() => t.Slice(1, 4, 3)).Message);
        Assert.Contains("axis 3", Assert.Throws<ArgumentOutOfRangeException>(() => t.Transpose(0, 3)).Message);
        using var other = Tensor.Zeros(Support.Backends.Get("cpu"), 3, 5);
        Assert.Contains("[3, 5]", Assert.Throws<ArgumentException>(() => Tensor.Concat(0, t, other)).Message);
    }
}
