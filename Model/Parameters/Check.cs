using TlbSim.Model.Units;

namespace TlbSim.Model.Parameters;

/// <summary>Range checks that yield located messages, for <see cref="IParameters.Validate"/>.</summary>
public static class Check
{
    /// <summary>"path.key" or "key" when the path is empty.</summary>
    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>An integer at least <paramref name="min"/> and at most <paramref name="max"/>.</summary>
    public static IEnumerable<string> Range(string path, string key, long value, long min, long max)
    {
        if (value < min)
            yield return $"{Join(path, key)}: must be at least {min} (was {value})";
        else if (value > max)
            yield return $"{Join(path, key)}: must be at most {max} (was {value})";
    }

    /// <summary>A finite real in [min, max].</summary>
    public static IEnumerable<string> Range(string path, string key, double value, double min, double max)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
            yield return $"{Join(path, key)}: must be a finite number (was {value})";
        else if (value < min || value > max)
            yield return $"{Join(path, key)}: must be between {min} and {max} (was {value})";
    }

    /// <summary>A duration that is not negative (or, with <paramref name="positive"/>, greater than zero).</summary>
    public static IEnumerable<string> NonNegative(string path, string key, Duration value, bool positive = false)
    {
        if (value.Picoseconds < 0 || (positive && value.Picoseconds == 0))
            yield return $"{Join(path, key)}: must be {(positive ? "greater than zero" : "zero or more")} (was {value})";
    }

    /// <summary>A power of two (set counts of set-associative structures).</summary>
    public static IEnumerable<string> PowerOfTwo(string path, string key, long value)
    {
        if (value <= 0 || (value & (value - 1)) != 0)
            yield return $"{Join(path, key)}: must be a power of two (was {value})";
    }
}
