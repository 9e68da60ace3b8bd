namespace Engine.Autograd;

/// <summary>
/// While open (on this thread), ops on variables record nothing and their outputs require no gradient:
/// for evaluation, sampling and optimizer updates. Scopes nest.
/// </summary>
public sealed class NoGradScope : IDisposable
{
    [ThreadStatic] private static int _depth;
    private bool _disposed;

    public NoGradScope() => _depth++;

    /// <summary>True while a NoGradScope is open on this thread.</summary>
    public static bool IsActive => _depth > 0;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _depth--;
    }
}
