using System.Collections.Concurrent;
using TlbSim.Model.Kernel;

namespace TlbSim.Scenarios.Running;

/// <summary>
/// How far a set of runs has got, inside runs too: each run is weighted by its simulated CPU-seconds
/// ((warm-up + duration) x CPUs), finished runs count whole, and a run in progress counts the share of its
/// simulated time its clock has reached. Read from any thread; the time left comes from the measured rate.
/// </summary>
public sealed class RunProgress
{
    private readonly ConcurrentDictionary<int, (Simulation Sim, double Weight, long EndPs)> _running = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private double _doneWeight;
    private int _doneRuns;

    /// <summary>Progress of <paramref name="units"/>.</summary>
    public RunProgress(IReadOnlyList<RunUnit> units)
    {
        ArgumentNullException.ThrowIfNull(units);
        Runs = units.Count;
        TotalWeight = units.Sum(Weight);
    }

    /// <summary>Runs in all.</summary>
    public int Runs { get; }

    /// <summary>Runs finished.</summary>
    public int DoneRuns => Volatile.Read(ref _doneRuns);

    /// <summary>Simulated CPU-seconds in all.</summary>
    public double TotalWeight { get; }

    private static double Weight(RunUnit u) => (u.Spec.Warmup + u.Spec.Duration).TotalSeconds * u.Spec.Machine.Topology.Cpus;

    /// <summary>A run has started on <paramref name="simulation"/>.</summary>
    public void Started(RunUnit unit, Simulation simulation)
    {
        ArgumentNullException.ThrowIfNull(unit);
        _running[unit.Order] = (simulation, Weight(unit), (unit.Spec.Warmup + unit.Spec.Duration).Picoseconds);
    }

    /// <summary>A run has finished.</summary>
    public void Finished(RunUnit unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        _running.TryRemove(unit.Order, out _);
        lock (_running)
            _doneWeight += Weight(unit);
        Interlocked.Increment(ref _doneRuns);
    }

    /// <summary>Share of the simulated CPU-seconds done, runs in progress included.</summary>
    public double Fraction
    {
        get
        {
            double done;
            lock (_running)
                done = _doneWeight;
            foreach (var (sim, weight, end) in _running.Values)
                done += weight * Math.Clamp((double)sim.NowPicoseconds / Math.Max(1, end), 0, 1);
            return TotalWeight > 0 ? Math.Min(1, done / TotalWeight) : 1;
        }
    }

    /// <summary>Wall seconds left at the rate measured so far (NaN before anything has moved).</summary>
    public double SecondsLeft
    {
        get
        {
            double f = Fraction, elapsed = _clock.Elapsed.TotalSeconds;
            return f <= 0 ? double.NaN : elapsed * (1 - f) / f;
        }
    }

    /// <summary>One progress line.</summary>
    public string Line()
    {
        double left = SecondsLeft;
        string eta = double.IsNaN(left) ? "measuring" : left < 120 ? $"about {left:F0} s left" : left < 7200 ? $"about {left / 60:F0} min left" : $"about {left / 3600:F1} h left";
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"[{Fraction * 100,3:F0}%] {DoneRuns}/{Runs} runs done, {_running.Count} in progress, {eta}");
    }
}
