namespace TlbSim.Model.Units;

/// <summary>
/// A clock frequency in whole hertz. Parsed from and printed as "2.6GHz", "100MHz".
/// Converts cycle counts to <see cref="Duration"/> and back, so a cycle figure from a
/// paper never meets a nanosecond figure without its clock.
/// </summary>
public readonly record struct Frequency(long Hertz) : IComparable<Frequency>
{
    private static readonly (string, decimal)[] Units = [("Hz", 1m), ("kHz", 1e3m), ("MHz", 1e6m), ("GHz", 1e9m)];
    private static readonly (string, decimal)[] PrintUnits = [("GHz", 1e9m), ("MHz", 1e6m), ("kHz", 1e3m), ("Hz", 1m)];

    /// <summary>Gigahertz, rounded to the nearest hertz.</summary>
    public static Frequency FromGigahertz(double ghz) => new(checked((long)Math.Round(ghz * 1e9)));

    /// <summary>Parses "2.6GHz", "800 MHz"; accepted units are Hz, kHz, MHz, GHz.</summary>
    /// <exception cref="FormatException">The text quotes itself and lists the accepted units.</exception>
    public static Frequency Parse(string text) => new(QuantityParser.Parse(text, "frequency", Units, "hertz"));

    /// <summary>The time <paramref name="cycles"/> clock cycles take at this frequency, rounded to the nearest picosecond.</summary>
    public Duration Cycles(double cycles)
    {
        if (Hertz <= 0)
            throw new InvalidOperationException($"cannot convert cycles at a frequency of {this}");
        return new Duration(checked((long)Math.Round(cycles * 1e12 / Hertz)));
    }

    /// <summary>The number of clock cycles (fractional) that <paramref name="time"/> spans at this frequency.</summary>
    public double ToCycles(Duration time) => time.Picoseconds * (double)Hertz / 1e12;

    /// <summary>Ordering.</summary>
    public static bool operator <(Frequency a, Frequency b) => a.Hertz < b.Hertz;

    /// <summary>Ordering.</summary>
    public static bool operator >(Frequency a, Frequency b) => a.Hertz > b.Hertz;

    /// <summary>Ordering.</summary>
    public static bool operator <=(Frequency a, Frequency b) => a.Hertz <= b.Hertz;

    /// <summary>Ordering.</summary>
    public static bool operator >=(Frequency a, Frequency b) => a.Hertz >= b.Hertz;

    /// <inheritdoc />
    public int CompareTo(Frequency other) => Hertz.CompareTo(other.Hertz);

    /// <summary>Prints exactly, in the largest unit that keeps the number at least 1: "2.6GHz".</summary>
    public override string ToString() => QuantityParser.Format(Hertz, PrintUnits);
}
