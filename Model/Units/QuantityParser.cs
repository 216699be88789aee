using System.Globalization;

namespace TlbSim.Model.Units;

/// <summary>
/// Parses "number unit" strings such as "1.2us" or "64GiB" into an exact integer count of a base unit.
/// Numbers are read as <see cref="decimal"/> in the invariant culture, so "1.2us" is exactly 1,200,000 ps
/// and no binary rounding creeps in.
/// </summary>
internal static class QuantityParser
{
    /// <summary>Parses <paramref name="text"/> against <paramref name="units"/> (suffix, base units per suffix).</summary>
    /// <exception cref="FormatException">The text has no number, an unknown unit, or a value that is not a whole number of base units.</exception>
    public static long Parse(string text, string quantity, IReadOnlyList<(string Suffix, decimal Factor)> units, string baseUnit)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim();
        int split = s.Length;
        while (split > 0 && !IsNumberChar(s[split - 1]))
            split--;
        var number = s[..split].Trim();
        var suffix = s[split..].Trim();
        if (number.Length == 0)
            throw Error(text, quantity, units, "no number");
        if (!decimal.TryParse(number, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out var value))
            throw Error(text, quantity, units, $"'{number}' is not a number");
        if (suffix.Length == 0)
            throw Error(text, quantity, units, "no unit");
        foreach (var (unit, factor) in units)
        {
            if (!string.Equals(unit, suffix, StringComparison.Ordinal))
                continue;
            decimal scaled;
            try
            {
                scaled = value * factor;
            }
            catch (OverflowException)
            {
                throw Error(text, quantity, units, "too large");
            }
            if (scaled != decimal.Truncate(scaled))
                throw Error(text, quantity, units, $"not a whole number of {baseUnit}");
            if (scaled > long.MaxValue || scaled < long.MinValue)
                throw Error(text, quantity, units, "too large");
            return (long)scaled;
        }
        throw Error(text, quantity, units, $"unknown unit '{suffix}'");
    }

    /// <summary>Prints <paramref name="value"/> base units in the largest unit that keeps the number at least 1, exactly.</summary>
    public static string Format(long value, IReadOnlyList<(string Suffix, decimal Factor)> printUnits)
    {
        // printUnits is ordered from the largest factor to the smallest; the last one has factor 1.
        foreach (var (suffix, factor) in printUnits)
        {
            if (Math.Abs((decimal)value) >= factor || factor == 1m)
                return (value / factor).ToString("0.############", CultureInfo.InvariantCulture) + suffix;
        }
        throw new InvalidOperationException("printUnits must end with a factor of 1");
    }

    private static bool IsNumberChar(char c) => char.IsAsciiDigit(c) || c == '.';

    private static FormatException Error(string text, string quantity, IReadOnlyList<(string Suffix, decimal Factor)> units, string why) =>
        new($"'{text}' is not a valid {quantity} ({why}); accepted units: {string.Join(", ", units.Select(u => u.Suffix))}");
}
