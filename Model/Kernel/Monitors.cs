namespace TlbSim.Model.Kernel;

/// <summary>
/// A value that holds between changes (utilisation, queue length), averaged over simulated time
/// without storing its history.
/// </summary>
public sealed class TimeWeightedMonitor
{
    private readonly Simulation _simulation;
    private long _start;
    private long _last;
    private double _area;

    /// <summary>Starts at value 0 at the current instant.</summary>
    public TimeWeightedMonitor(Simulation simulation)
    {
        ArgumentNullException.ThrowIfNull(simulation);
        _simulation = simulation;
        _start = _last = simulation.NowPicoseconds;
    }

    /// <summary>The value now.</summary>
    public double Current { get; private set; }

    /// <summary>The smallest value held since the start or the last reset.</summary>
    public double Min { get; private set; }

    /// <summary>The largest value held since the start or the last reset.</summary>
    public double Max { get; private set; }

    /// <summary>Changes the value at the current instant.</summary>
    public void Set(double value)
    {
        Accumulate();
        Current = value;
        if (value < Min)
            Min = value;
        if (value > Max)
            Max = value;
    }

    /// <summary>Adds <paramref name="delta"/> to the value at the current instant.</summary>
    public void Add(double delta) => Set(Current + delta);

    /// <summary>The time-weighted mean from the start (or last reset) to now; the current value if no time has passed.</summary>
    public double Mean
    {
        get
        {
            long now = _simulation.NowPicoseconds;
            long span = now - _start;
            return span == 0 ? Current : (_area + Current * (now - _last)) / span;
        }
    }

    /// <summary>Integral of the value over time from the start (or last reset) to now, in value x seconds.</summary>
    public double IntegralSeconds => (_area + Current * (_simulation.NowPicoseconds - _last)) / 1e12;

    /// <summary>Forgets the history (end of warm-up), keeping the current value.</summary>
    public void Reset()
    {
        _start = _last = _simulation.NowPicoseconds;
        _area = 0;
        Min = Max = Current;
    }

    private void Accumulate()
    {
        long now = _simulation.NowPicoseconds;
        _area += Current * (now - _last);
        _last = now;
    }
}

/// <summary>
/// Count, mean, variance, min and max of a stream of samples (Welford's update), without storing them.
/// Two monitors merge exactly (Chan et al.), so per-replication statistics combine.
/// </summary>
public sealed class SampleMonitor
{
    private double _m2;

    /// <summary>Samples seen.</summary>
    public long Count { get; private set; }

    /// <summary>Their mean (0 when none).</summary>
    public double Mean { get; private set; }

    /// <summary>Smallest sample (+infinity when none).</summary>
    public double Min { get; private set; } = double.PositiveInfinity;

    /// <summary>Largest sample (-infinity when none).</summary>
    public double Max { get; private set; } = double.NegativeInfinity;

    /// <summary>Unbiased sample variance (0 with fewer than two samples).</summary>
    public double Variance => Count > 1 ? _m2 / (Count - 1) : 0;

    /// <summary>Square root of <see cref="Variance"/>.</summary>
    public double StandardDeviation => Math.Sqrt(Variance);

    /// <summary>Adds one sample.</summary>
    public void Add(double x)
    {
        Count++;
        double delta = x - Mean;
        Mean += delta / Count;
        _m2 += delta * (x - Mean);
        if (x < Min)
            Min = x;
        if (x > Max)
            Max = x;
    }

    /// <summary>Adds every sample of <paramref name="other"/> as if they had been added here.</summary>
    public void Merge(SampleMonitor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Count == 0)
            return;
        long n = Count + other.Count;
        double delta = other.Mean - Mean;
        _m2 += other._m2 + delta * delta * Count * other.Count / n;
        Mean += delta * other.Count / n;
        Count = n;
        Min = Math.Min(Min, other.Min);
        Max = Math.Max(Max, other.Max);
    }

    /// <summary>Forgets every sample (end of warm-up).</summary>
    public void Reset()
    {
        Count = 0;
        Mean = 0;
        _m2 = 0;
        Min = double.PositiveInfinity;
        Max = double.NegativeInfinity;
    }
}
