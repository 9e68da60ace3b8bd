namespace Engine.Optim;

/// <summary>Range checks for hyperparameters; each failure names the parameter and the value given.</summary>
internal static class Hyperparameter
{
    public static double NonNegative(double value, string name)
    {
        if (!double.IsFinite(value) || value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and >= 0, got {value}");
        return value;
    }

    public static double Positive(double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and > 0, got {value}");
        return value;
    }

    /// <summary>A decay rate in [0, 1), as Adam's betas and SGD's momentum.</summary>
    public static double UnitInterval(double value, string name)
    {
        if (!(value >= 0 && value < 1))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must lie in [0, 1), got {value}");
        return value;
    }

    /// <summary>A named value of its enum (an undefined cast is refused).</summary>
    public static T Defined<T>(T value, string name) where T : struct, Enum => Enum.IsDefined(value)
        ? value
        : throw new ArgumentOutOfRangeException(name, value, $"{name} {value} is not a {typeof(T).Name}");

    public static long NonNegative(long value, string name)
    {
        if (value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be >= 0, got {value}");
        return value;
    }
}
