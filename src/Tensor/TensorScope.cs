namespace Engine.Tensors;

/// <summary>
/// Disposes every tensor created on this thread while the scope is open, except those passed to
/// <see cref="Keep"/>. Scopes nest; a kept tensor moves to the enclosing scope if there is one.
/// This is how a training step frees its temporaries deterministically without disposing each one.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;

    private readonly TensorScope? _parent;
    private readonly List<Tensor> _tensors = new();
    private bool _disposed;

    public TensorScope()
    {
        _parent = _current;
        _current = this;
    }

    internal static void Track(Tensor tensor) => _current?._tensors.Add(tensor);

    /// <summary>Excludes <paramref name="tensor"/> from this scope's disposal and returns it.</summary>
    public Tensor Keep(Tensor tensor)
    {
        if (_tensors.Remove(tensor)) _parent?._tensors.Add(tensor);
        return tensor;
    }

    /// <summary>
    /// Runs <paramref name="create"/> as if no scope were open on this thread: what it creates lives until it is disposed
    /// by hand (a cache's tensors, made on first use from inside a step's scope).
    /// </summary>
    public static T CreateUntracked<T>(Func<T> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        var saved = _current;
        _current = null;
        try
        {
            return create();
        }
        finally
        {
            _current = saved;
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_current != this)
            throw new InvalidOperationException("TensorScopes must be disposed in the reverse order of their creation (innermost first)");
        _current = _parent;
        foreach (var t in _tensors) t.Dispose();
        _tensors.Clear();
    }
}
