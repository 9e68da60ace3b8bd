namespace Engine.Models.Text;

/// <summary>
/// Serializable description of a trained tokenizer, saved beside a model. <paramref name="Kind"/> selects the
/// implementation (<see cref="CharTokenizer.KindName"/>, <see cref="ByteBpeTokenizer.KindName"/>);
/// <paramref name="Data"/> is its kind-specific payload as plain text so the spec stays JSON-friendly.
/// </summary>
public sealed record TokenizerSpec(string Kind, int VocabSize, string Data);
