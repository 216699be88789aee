using TlbSim.Model.Units;

namespace TlbSim.Model.Hardware;

/// <summary>
/// One CPU's menu governor (drivers/cpuidle/governors/menu.c): it remembers the last eight idle intervals
/// (menu_update) and chooses the state for the next idle period (menu_select).
/// </summary>
public sealed class MenuGovernor
{
    private readonly IReadOnlyList<IdleState> _states;

    // menu_device.intervals: the last eight measured idle durations in microseconds, zero until measured.
    private readonly uint[] _intervalsUs = new uint[8];
    private int _next;

    /// <summary>A governor choosing among <paramref name="states"/>, ordered by target residency, POLL or the shallowest first.</summary>
    public MenuGovernor(IReadOnlyList<IdleState> states)
    {
        ArgumentNullException.ThrowIfNull(states);
        if (states.Count == 0)
            throw new ArgumentException("a governor needs at least one idle state", nameof(states));
        _states = states;
    }

    /// <summary>The recorded intervals, oldest slot first as menu.c keeps them (a ring).</summary>
    public IReadOnlyList<uint> IntervalsUs => _intervalsUs;

    /// <summary>
    /// menu_select: the predicted idle time is the time to the next timer (here, the planned end of the idle
    /// period), capped by the typical recent interval (get_typical_interval) when there is one, so a CPU woken
    /// again and again by IPIs stops choosing deep states. The deepest state whose target residency fits is
    /// chosen; the first state when none does.
    /// </summary>
    public IdleState Select(Duration untilTimer)
    {
        var predicted = untilTimer;
        uint typicalUs = GetTypicalInterval(_intervalsUs);
        if (typicalUs != uint.MaxValue)
            predicted = Duration.Min(predicted, Duration.FromMicroseconds(typicalUs));
        var chosen = _states[0];
        foreach (var s in _states)
        {
            if (s.TargetResidency <= predicted)
                chosen = s;
        }
        return chosen;
    }

    /// <summary>menu_update: records the idle interval just measured (in whole microseconds, as menu.c does).</summary>
    public void Record(long measuredPs)
    {
        _intervalsUs[_next] = (uint)Math.Min(measuredPs / 1_000_000, int.MaxValue);
        _next = (_next + 1) % _intervalsUs.Length;
    }

    /// <summary>
    /// get_typical_interval of menu.c over the last eight idle intervals (microseconds): their average when the
    /// standard deviation is small (variance &lt;= 400 us^2) or small against the average (avg^2 &gt; 36 variance,
    /// with at least three quarters of the samples left); otherwise the largest sample is discarded as an
    /// outlier and the test repeated, until a quarter of the samples are gone (then no typical interval:
    /// <see cref="uint.MaxValue"/>).
    /// </summary>
    public static uint GetTypicalInterval(IReadOnlyList<uint> intervals)
    {
        ArgumentNullException.ThrowIfNull(intervals);
        int n = intervals.Count;
        uint thresh = int.MaxValue;
        while (true)
        {
            uint min = uint.MaxValue, max = 0;
            ulong sum = 0;
            int divisor = 0;
            foreach (uint value in intervals)
            {
                if (value > thresh)
                    continue;
                sum += value;
                divisor++;
                max = Math.Max(max, value);
                min = Math.Min(min, value);
            }
            if (max == 0)
                return uint.MaxValue;
            ulong avg = sum / (ulong)divisor;
            ulong variance = 0;
            foreach (uint value in intervals)
            {
                if (value > thresh)
                    continue;
                long diff = (long)value - (long)avg;
                variance += (ulong)(diff * diff);
            }
            variance /= (ulong)divisor;
            if (variance <= ulong.MaxValue / 36)
            {
                if ((avg * avg > variance * 36 && divisor * 4 >= n * 3) || variance <= 400)
                    return (uint)avg;
            }
            if (divisor * 4 <= n * 3)
                return uint.MaxValue;
            thresh = max - 1;
        }
    }
}
