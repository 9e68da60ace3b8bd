namespace Engine.Models.Data;

/// <summary>Training data that cannot be used: a missing, empty or undecodable file, or splits too short for a block.</summary>
public sealed class DataException(string message) : Exception(message)
{
    /// <summary>
    /// Runs <paramref name="load"/>, prefixing a data error that does not already name <paramref name="text"/> with it
    /// ("TEXT: message"), so every error says which file (or flag and file) it is about.
    /// </summary>
    public static T Naming<T>(string text, Func<T> load)
    {
        ArgumentNullException.ThrowIfNull(load);
        try
        {
            return load();
        }
        catch (DataException e) when (!e.Message.Contains(text, StringComparison.Ordinal))
        {
            throw new DataException($"{text}: {e.Message}");
        }
    }

    /// <inheritdoc cref="Naming{T}(string, Func{T})"/>
    public static void Naming(string text, Action check) => Naming(text, () => { check(); return 0; });
}
