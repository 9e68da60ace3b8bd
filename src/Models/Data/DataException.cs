namespace Engine.Models.Data;

/// <summary>Training data that cannot be used: a missing, empty or undecodable file, or splits too short for a block.</summary>
public sealed class DataException(string message) : Exception(message);
