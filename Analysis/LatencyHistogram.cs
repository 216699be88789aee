using HdrHistogram;

namespace TlbSim.Analysis;

/// <summary>
/// Latencies in picoseconds, recorded in an HdrHistogram (<see cref="LongHistogram"/>, 3 significant
/// digits: a value's bucket is at most 0.1% of it wide), with the exact count, min, max and sum kept beside
/// it. Values up to 2^40 ps (1.1 s) are recorded exactly to that precision; longer ones are counted in the
/// top bucket (their exact max and sum are kept). Fixed memory whatever the number of samples; histograms
/// merge exactly. Percentiles are by nearest rank (the value of the ceil(p/100 x n)-th sample's bucket).
/// </summary>
public sealed class LatencyHistogram
{
    /// <summary>Largest latency placed in its own bucket: 2^40 ps.</summary>
    public const long HighestTrackable = 1L << 40;

    /// <summary>Significant decimal digits kept.</summary>
    public const int SignificantDigits = 3;

    private readonly LongHistogram _h = new(HighestTrackable, SignificantDigits);
    private long _min = long.MaxValue;

    /// <summary>Samples recorded.</summary>
    public long Count { get; private set; }

    /// <summary>Smallest sample (0 when empty).</summary>
    public long Min => Count == 0 ? 0 : _min;

    /// <summary>Largest sample (0 when empty).</summary>
    public long Max { get; private set; }

    /// <summary>Sum of the samples, for the exact mean.</summary>
    public double Sum { get; private set; }

    /// <summary>Exact mean of the samples (0 when empty).</summary>
    public double Mean => Count == 0 ? 0 : Sum / Count;

    /// <summary>The HdrHistogram itself (for .hlog files and HdrHistogram's own tools).</summary>
    public HistogramBase Hdr => _h;

    /// <summary>Records one value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public void Record(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        _h.RecordValue(Math.Min(value, HighestTrackable));
        Count++;
        _min = Math.Min(_min, value);
        Max = Math.Max(Max, value);
        Sum += value;
    }

    /// <summary>Adds every sample of <paramref name="other"/>.</summary>
    public void Merge(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Count == 0)
            return;
        _h.Add(other._h);
        Count += other.Count;
        _min = Math.Min(_min, other._min);
        Max = Math.Max(Max, other.Max);
        Sum += other.Sum;
    }

    /// <summary>
    /// The value at percentile <paramref name="p"/> (0-100) by nearest rank: the upper bound of the bucket
    /// holding the ceil(p/100 x n)-th sample, clamped to the exact min and max, so never more than 0.1% above
    /// the true order statistic.
    /// </summary>
    public long Percentile(double p)
    {
        if (Count == 0)
            return 0;
        long rank = Math.Max(1, (long)Math.Ceiling(p / 100 * Count - 1e-9)); // 99.9 / 100 x 1000 is 999.0000000000001
        long seen = 0;
        foreach (var v in _h.RecordedValues())
        {
            seen += v.CountAtValueIteratedTo;
            if (seen >= rank)
                return Math.Clamp(_h.NextNonEquivalentValue(v.ValueIteratedTo) - 1, Min, Max);
        }
        return Max;
    }

    /// <summary>Non-empty buckets in increasing order: [low, high) and count.</summary>
    public IEnumerable<(long Low, long High, long Count)> Nonempty()
    {
        foreach (var v in _h.RecordedValues())
            yield return (_h.LowestEquivalentValue(v.ValueIteratedTo), _h.NextNonEquivalentValue(v.ValueIteratedTo), v.CountAtValueIteratedTo);
    }

    /// <summary>Non-empty buckets as (the bucket's lowest value, count), for exact serialisation.</summary>
    public IEnumerable<(long Value, long Count)> Buckets() => _h.RecordedValues().Select(v => (_h.LowestEquivalentValue(v.ValueIteratedTo), v.CountAtValueIteratedTo));

    /// <summary>Rebuilds a histogram from <see cref="Buckets()"/> and its exact summary values.</summary>
    public static LatencyHistogram FromBuckets(IEnumerable<(long Value, long Count)> buckets, long count, long min, long max, double sum)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        var h = new LatencyHistogram();
        foreach (var (value, n) in buckets)
            h._h.RecordValueWithCount(value, n);
        h.Count = count;
        h._min = count == 0 ? long.MaxValue : min;
        h.Max = max;
        h.Sum = sum;
        return h;
    }
}
