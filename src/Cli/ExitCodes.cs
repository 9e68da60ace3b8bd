namespace Engine.Cli;

/// <summary>Process exit codes of the program.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Bad input (data, checkpoint, configuration, device) or a failure while running.</summary>
    public const int Error = 1;

    /// <summary>The command line itself did not parse (unknown flag, missing value, wrong type).</summary>
    public const int Usage = 2;

    /// <summary>Interrupted by Ctrl-C (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM (128 + SIGTERM), after the same orderly stop as <see cref="Interrupted"/>.</summary>
    public const int Terminated = 143;
}
