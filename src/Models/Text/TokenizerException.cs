namespace Engine.Models.Text;

/// <summary>Text a tokenizer cannot encode, an id it cannot decode, or a spec it cannot rebuild from.</summary>
public sealed class TokenizerException(string message) : Exception(message);
