namespace TlbSim.Model.Units;

/// <summary>
/// A span of simulated time, held as a whole number of picoseconds in a <see cref="long"/>
/// (enough for 106 days). Parsed from and printed as "150ns", "1.2us", "3ms", "2s".
/// </summary>
public readonly record struct Duration(long Picoseconds) : IComparable<Duration>
{
    private static readonly (string, decimal)[] Units =
    [
        ("ps", 1m), ("ns", 1e3m), ("us", 1e6m), ("µs", 1e6m), ("ms", 1e9m), ("s", 1e12m),
    ];

    private static readonly (string, decimal)[] PrintUnits = [("s", 1e12m), ("ms", 1e9m), ("us", 1e6m), ("ns", 1e3m), ("ps", 1m)];

    /// <summary>No time at all.</summary>
    public static readonly Duration Zero;

    /// <summary>The longest representable span; used as "never".</summary>
    public static readonly Duration MaxValue = new(long.MaxValue);

    /// <summary>Whole picoseconds.</summary>
    public static Duration FromPicoseconds(long ps) => new(ps);

    /// <summary>Nanoseconds, rounded to the nearest picosecond.</summary>
    public static Duration FromNanoseconds(double ns) => new(checked((long)Math.Round(ns * 1e3)));

    /// <summary>Microseconds, rounded to the nearest picosecond.</summary>
    public static Duration FromMicroseconds(double us) => new(checked((long)Math.Round(us * 1e6)));

    /// <summary>Milliseconds, rounded to the nearest picosecond.</summary>
    public static Duration FromMilliseconds(double ms) => new(checked((long)Math.Round(ms * 1e9)));

    /// <summary>Seconds, rounded to the nearest picosecond.</summary>
    public static Duration FromSeconds(double s) => new(checked((long)Math.Round(s * 1e12)));

    /// <summary>This span in nanoseconds.</summary>
    public double TotalNanoseconds => Picoseconds / 1e3;

    /// <summary>This span in microseconds.</summary>
    public double TotalMicroseconds => Picoseconds / 1e6;

    /// <summary>This span in milliseconds.</summary>
    public double TotalMilliseconds => Picoseconds / 1e9;

    /// <summary>This span in seconds.</summary>
    public double TotalSeconds => Picoseconds / 1e12;

    /// <summary>Parses "150ns", "1.2us", "0.5 ms", "2s"; accepted units are ps, ns, us (or µs), ms, s.</summary>
    /// <exception cref="FormatException">The text quotes itself and lists the accepted units.</exception>
    public static Duration Parse(string text) => new(QuantityParser.Parse(text, "duration", Units, "picoseconds"));

    /// <summary>Parses like <see cref="Parse"/>, returning false and the message instead of throwing.</summary>
    public static bool TryParse(string text, out Duration value, out string? error)
    {
        try
        {
            value = Parse(text);
            error = null;
            return true;
        }
        catch (FormatException e)
        {
            value = default;
            error = e.Message;
            return false;
        }
    }

    /// <inheritdoc />
    public int CompareTo(Duration other) => Picoseconds.CompareTo(other.Picoseconds);

    /// <summary>Sum of two spans.</summary>
    public static Duration operator +(Duration a, Duration b) => new(a.Picoseconds + b.Picoseconds);

    /// <summary>Difference of two spans.</summary>
    public static Duration operator -(Duration a, Duration b) => new(a.Picoseconds - b.Picoseconds);

    /// <summary>A span repeated <paramref name="n"/> times.</summary>
    public static Duration operator *(Duration a, long n) => new(a.Picoseconds * n);

    /// <summary>A span scaled by a real factor, rounded to the nearest picosecond.</summary>
    public static Duration operator *(Duration a, double f) => new(checked((long)Math.Round(a.Picoseconds * f)));

    /// <summary>The ratio of two spans.</summary>
    public static double operator /(Duration a, Duration b) => (double)a.Picoseconds / b.Picoseconds;

    /// <summary>Ordering.</summary>
    public static bool operator <(Duration a, Duration b) => a.Picoseconds < b.Picoseconds;

    /// <summary>Ordering.</summary>
    public static bool operator >(Duration a, Duration b) => a.Picoseconds > b.Picoseconds;

    /// <summary>Ordering.</summary>
    public static bool operator <=(Duration a, Duration b) => a.Picoseconds <= b.Picoseconds;

    /// <summary>Ordering.</summary>
    public static bool operator >=(Duration a, Duration b) => a.Picoseconds >= b.Picoseconds;

    /// <summary>The longer of two spans.</summary>
    public static Duration Max(Duration a, Duration b) => a >= b ? a : b;

    /// <summary>The shorter of two spans.</summary>
    public static Duration Min(Duration a, Duration b) => a <= b ? a : b;

    /// <summary>Prints exactly, in the largest unit that keeps the number at least 1: "1.2us".</summary>
    public override string ToString() => QuantityParser.Format(Picoseconds, PrintUnits);
}
