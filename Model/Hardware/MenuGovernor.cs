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
    private Duration _nextTimer = Duration.MaxValue; // data->next_timer_ns of the last selection

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

    /// <summary>RESIDENCY_THRESHOLD_NS of drivers/cpuidle/governors/gov.h: 15 us.</summary>
    public static readonly Duration ResidencyThreshold = Duration.FromMicroseconds(15);

    /// <summary>
    /// menu_select as in mainline (drivers/cpuidle/governors/menu.c with 5484e31bbbff, db86f55bf81a and
    /// 07d815701274):
    /// <list type="number">
    /// <item>The prediction starts as the typical interval (<see cref="GetTypicalInterval"/>). Only when it is
    /// above <see cref="ResidencyThreshold"/> is the next timer read (tick_nohz_get_sleep_length, here the
    /// planned end of the idle period, rounded to whole microseconds as menu.c rounds it) and the prediction
    /// capped by it; at or below, the next timer is taken as never (KTIME_MAX).</item>
    /// <item>If the next timer comes before state 1's target residency, state 0 is used.</item>
    /// <item>Otherwise the deepest state whose target residency fits the prediction is chosen; when that is
    /// the polling state, the first physical state replaces it if its target residency is below the
    /// residency threshold and not after the next timer, and its exit latency is within the prediction
    /// ("use a physical idle state instead of busy polling").</item>
    /// </list>
    /// Left out, as tlbsim has no scheduler tick or PM QoS: the correction factor per bucket (tlbsim's timer
    /// is the exact end of the idle period, so its factor would stay at one), latency_req (no limit), and the
    /// tick's branches (keeping a state within the time to the next tick, or reaching one deeper when the tick
    /// is stopped).
    /// </summary>
    public IdleState Select(Duration untilTimer)
    {
        var predicted = Duration.FromMicroseconds(GetTypicalInterval(_intervalsUs));
        var nextTimer = Duration.MaxValue;
        if (predicted > ResidencyThreshold)
        {
            nextTimer = Duration.Max(untilTimer, Duration.Zero);
            long timerUs = (untilTimer.Picoseconds + 500_000) / 1_000_000;
            predicted = Duration.Min(Duration.FromMicroseconds(timerUs), predicted);
        }
        _nextTimer = nextTimer;
        if (_states.Count <= 1 || nextTimer < _states[1].TargetResidency)
            return _states[0];
        int idx = 0;
        for (int i = 0; i < _states.Count; i++)
        {
            var s = _states[i];
            if (s.TargetResidency <= predicted)
            {
                idx = i;
                continue;
            }
            if (_states[idx].Polling && s.TargetResidency < ResidencyThreshold && s.TargetResidency <= nextTimer &&
                s.ExitLatency <= predicted)
                idx = i;
            break;
        }
        return _states[idx];
    }

    /// <summary>
    /// menu_update: records the idle period just ended, <paramref name="residency"/> from entry to the end of
    /// the wake-up (last_residency_ns) in <paramref name="state"/>. The state's exit latency is deducted when
    /// the residency is more than twice it, otherwise the residency is halved ("assume the state was never
    /// reached"); the result is capped by the next timer the selection saw and stored in whole microseconds.
    /// No tick wake-ups or poll time limits arise in tlbsim, so their branches are left out.
    /// </summary>
    public void Record(Duration residency, IdleState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        long measured = residency.Picoseconds;
        long exit = state.ExitLatency.Picoseconds;
        measured = measured > 2 * exit ? measured - exit : measured / 2;
        measured = Math.Min(measured, _nextTimer.Picoseconds);
        _intervalsUs[_next] = (uint)Math.Min(measured / 1_000_000, uint.MaxValue);
        _next = (_next + 1) % _intervalsUs.Length;
    }

    /// <summary>
    /// get_typical_interval of mainline menu.c over the last eight idle intervals (microseconds): the average
    /// of the samples between the two thresholds, accepted when the standard deviation is small (variance
    /// &lt;= 400 us^2) or small against the average (avg^2 &gt; 36 variance with at least three quarters of the
    /// samples in); the variance is E[x^2] - avg^2 in integer arithmetic. Otherwise the extreme sample farther
    /// from the average is excluded (raising the lower threshold to the minimum or lowering the upper one to
    /// the maximum) and the test repeated, until no more than three quarters are left: then there is no
    /// typical interval (<see cref="uint.MaxValue"/>, "allow the deepest available idle state").
    /// </summary>
    public static uint GetTypicalInterval(IReadOnlyList<uint> intervals)
    {
        ArgumentNullException.ThrowIfNull(intervals);
        int n = intervals.Count;
        long minThresh = -1, maxThresh = uint.MaxValue;
        while (true)
        {
            uint max = 0, min = uint.MaxValue;
            ulong avg = 0, variance = 0;
            uint divisor = 0;
            foreach (uint sample in intervals)
            {
                long value = sample;
                if (value <= minThresh || value >= maxThresh)
                    continue;
                divisor++;
                avg += (ulong)value;
                variance += (ulong)(value * value);
                max = Math.Max(max, sample);
                min = Math.Min(min, sample);
            }
            if (max == 0)
                return uint.MaxValue;
            avg /= divisor;
            variance /= divisor;
            ulong avgSq = avg * avg;
            variance -= avgSq;
            if (variance <= ulong.MaxValue / 36)
            {
                if ((avgSq > variance * 36 && divisor * 4 >= n * 3) || variance <= 400)
                    return (uint)avg;
            }
            if (divisor * 4 <= n * 3)
                return uint.MaxValue;
            if (avg - min > max - avg)
                minThresh = min;
            else
                maxThresh = max;
        }
    }
}
