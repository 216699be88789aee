namespace TlbSim.Model.Units;

/// <summary>
/// An amount of memory in whole bytes. Parsed from "4KiB", "2MiB", "64GiB" (binary) or "4KB" (decimal);
/// printed in binary units.
/// </summary>
public readonly record struct ByteSize(long Bytes) : IComparable<ByteSize>
{
    private static readonly (string, decimal)[] Units =
    [
        ("B", 1m), ("KiB", 1024m), ("MiB", 1048576m), ("GiB", 1073741824m), ("TiB", 1099511627776m),
        ("KB", 1e3m), ("MB", 1e6m), ("GB", 1e9m), ("TB", 1e12m),
    ];

    private static readonly (string, decimal)[] PrintUnits =
        [("TiB", 1099511627776m), ("GiB", 1073741824m), ("MiB", 1048576m), ("KiB", 1024m), ("B", 1m)];

    /// <summary>4 KiB, the x86 base page.</summary>
    public static readonly ByteSize Page4K = new(4096);

    /// <summary>2 MiB, an x86 large page (PMD level).</summary>
    public static readonly ByteSize Page2M = new(2L << 20);

    /// <summary>1 GiB, an x86 huge page (PUD level).</summary>
    public static readonly ByteSize Page1G = new(1L << 30);

    /// <summary>Kibibytes.</summary>
    public static ByteSize FromKiB(long kib) => new(checked(kib * 1024));

    /// <summary>Mebibytes.</summary>
    public static ByteSize FromMiB(long mib) => new(checked(mib << 20));

    /// <summary>Gibibytes.</summary>
    public static ByteSize FromGiB(long gib) => new(checked(gib << 30));

    /// <summary>Parses "4KiB", "64GiB", "1.5MiB", "4KB"; accepted units are B, KiB, MiB, GiB, TiB, KB, MB, GB, TB.</summary>
    /// <exception cref="FormatException">The text quotes itself and lists the accepted units.</exception>
    public static ByteSize Parse(string text) => new(QuantityParser.Parse(text, "size", Units, "bytes"));

    /// <summary>Ordering.</summary>
    public static bool operator <(ByteSize a, ByteSize b) => a.Bytes < b.Bytes;

    /// <summary>Ordering.</summary>
    public static bool operator >(ByteSize a, ByteSize b) => a.Bytes > b.Bytes;

    /// <summary>Ordering.</summary>
    public static bool operator <=(ByteSize a, ByteSize b) => a.Bytes <= b.Bytes;

    /// <summary>Ordering.</summary>
    public static bool operator >=(ByteSize a, ByteSize b) => a.Bytes >= b.Bytes;

    /// <inheritdoc />
    public int CompareTo(ByteSize other) => Bytes.CompareTo(other.Bytes);

    /// <summary>How many whole <paramref name="unit"/>s fit (rounded down).</summary>
    public long DivideBy(ByteSize unit) => Bytes / unit.Bytes;

    /// <summary>Prints exactly, in the largest binary unit that keeps the number at least 1: "64GiB".</summary>
    public override string ToString() => QuantityParser.Format(Bytes, PrintUnits);
}
