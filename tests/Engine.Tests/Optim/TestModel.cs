using Engine.Kernels.Devices;
using Engine.Optim;

namespace Engine.Tests.Optim;

/// <summary>A parameter store of given shapes with random values, and host helpers to feed it gradients.</summary>
internal sealed class TestModel : IDisposable
{
    private TestModel(ParameterStore store, float[] initial, bool[] decayMask)
    {
        Store = store;
        Initial = initial;
        DecayMask = decayMask;
    }

    public ParameterStore Store { get; }

    /// <summary>Initial values in the store's flat layout.</summary>
    public float[] Initial { get; }

    /// <summary>Per flat element: does weight decay apply.</summary>
    public bool[] DecayMask { get; }

    public int Count => Initial.Length;

    public static TestModel Create(ComputeDevice device, int[][] shapes, int seed)
    {
        var store = new ParameterStore(device);
        for (int k = 0; k < shapes.Length; k++) store.Register($"w{k}", shapes[k]);
        store.Allocate();
        var rng = new Random(seed);
        var initial = Normal(rng, (int)store.Count, 1f);
        store.ImportValues(initial);
        var mask = new bool[store.Count];
        foreach (var p in store.Parameters)
            for (long i = 0; i < p.Count; i++) mask[p.Offset + i] = p.Decay;
        return new TestModel(store, initial, mask);
    }

    /// <summary>Random gradients; rescaled to global norm <paramref name="norm"/> when given.</summary>
    public float[] Grads(Random rng, double? norm = null)
    {
        var g = Normal(rng, Count, 0.5f);
        if (norm is { } target)
        {
            double current = Math.Sqrt(g.Sum(x => (double)x * x));
            for (int i = 0; i < g.Length; i++) g[i] = (float)(g[i] * target / current);
        }
        return g;
    }

    public static float[] Normal(Random rng, int count, float std)
    {
        var r = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            r[i] = (float)(std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return r;
    }

    public void Dispose() => Store.Dispose();
}
