using System.Numerics;

namespace TlbSim.Analysis;

/// <summary>
/// A streaming histogram of non-negative integer values (latencies in picoseconds) with bounded relative
/// error, in the manner of HdrHistogram: values below 128 get a bucket each; above, every power of two is
/// cut into 128 equal buckets, so a bucket is at most 1/128 (0.8%) of its values wide. Memory is fixed
/// (7,296 counters) whatever the number of samples; histograms merge exactly by adding counters.
/// </summary>
public sealed class LogHistogram
{
    private const int SubBuckets = 128;
    private const int SubBits = 7;
    private const int BucketCount = SubBuckets + (63 - SubBits) * SubBuckets;
    private readonly long[] _counts = new long[BucketCount];

    /// <summary>Samples recorded.</summary>
    public long Count { get; private set; }

    /// <summary>Smallest sample (0 when empty).</summary>
    public long Min { get; private set; } = long.MaxValue;

    /// <summary>Largest sample (0 when empty).</summary>
    public long Max { get; private set; }

    /// <summary>Sum of the samples, for the exact mean.</summary>
    public double Sum { get; private set; }

    /// <summary>Exact mean of the samples (0 when empty).</summary>
    public double Mean => Count == 0 ? 0 : Sum / Count;

    /// <summary>Records one value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public void Record(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        _counts[Index(value)]++;
        Count++;
        Sum += value;
        if (value < Min)
            Min = value;
        if (value > Max)
            Max = value;
    }

    /// <summary>Adds every sample of <paramref name="other"/>.</summary>
    public void Merge(LogHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int i = 0; i < BucketCount; i++)
            _counts[i] += other._counts[i];
        Count += other.Count;
        Sum += other.Sum;
        Min = Math.Min(Min, other.Min);
        Max = Math.Max(Max, other.Max);
    }

    /// <summary>
    /// The value at percentile <paramref name="p"/> (0-100): the upper bound of the bucket holding the sample of
    /// that rank, clamped to the exact min and max, so it is never more than 0.8% above the true value.
    /// </summary>
    public long Percentile(double p)
    {
        if (Count == 0)
            return 0;
        if (p <= 0)
            return Min;
        if (p >= 100)
            return Max;
        long rank = Math.Max(1, (long)Math.Ceiling(p * Count / 100 - 1e-9));
        long seen = 0;
        for (int i = 0; i < BucketCount; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
                return Math.Clamp(UpperBound(i) - 1, Min, Max);
        }
        return Max;
    }

    /// <summary>Non-empty buckets in increasing order: [low, high) and count.</summary>
    public IEnumerable<(long Low, long High, long Count)> Nonempty()
    {
        for (int i = 0; i < BucketCount; i++)
        {
            if (_counts[i] > 0)
                yield return (LowerBound(i), UpperBound(i), _counts[i]);
        }
    }

    /// <summary>Non-empty buckets by index, for exact serialisation.</summary>
    public IEnumerable<(int Index, long Count)> Buckets()
    {
        for (int i = 0; i < BucketCount; i++)
        {
            if (_counts[i] > 0)
                yield return (i, _counts[i]);
        }
    }

    /// <summary>Rebuilds a histogram from <see cref="Buckets()"/> and its exact summary values.</summary>
    public static LogHistogram FromBuckets(IEnumerable<(int Index, long Count)> buckets, long count, long min, long max, double sum)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        var h = new LogHistogram { Count = count, Min = min, Max = max, Sum = sum };
        foreach (var (i, c) in buckets)
            h._counts[i] = c;
        return h;
    }

    internal static int Index(long value)
    {
        if (value < SubBuckets)
            return (int)value;
        int k = 63 - BitOperations.LeadingZeroCount((ulong)value); // value in [2^k, 2^(k+1))
        int shift = k - SubBits;
        int sub = (int)(value >> shift) - SubBuckets;
        return SubBuckets + shift * SubBuckets + sub;
    }

    internal static long LowerBound(int index)
    {
        if (index < SubBuckets)
            return index;
        int shift = (index - SubBuckets) / SubBuckets;
        int sub = (index - SubBuckets) % SubBuckets;
        return (long)(SubBuckets + sub) << shift;
    }

    internal static long UpperBound(int index) => index < SubBuckets ? index + 1 : LowerBound(index) + (1L << ((index - SubBuckets) / SubBuckets));
}
