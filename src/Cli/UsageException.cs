namespace Engine.Cli;

/// <summary>Input the program rejects before doing any work; the message names the flag, file or line at fault.</summary>
public sealed class UsageException(string message) : Exception(message);
