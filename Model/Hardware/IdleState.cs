using TlbSim.Model.Parameters;
using TlbSim.Model.Units;

namespace TlbSim.Model.Hardware;

/// <summary>Which part of the chip an idle state powers down, and so what must be idle for the state to be reached.</summary>
public enum IdleLevel
{
    /// <summary>The hardware thread alone (POLL, C1, C1E): reached whatever its SMT sibling does.</summary>
    Thread,

    /// <summary>The core (core C6): reached only while every SMT thread of the core is idle in a core state or deeper.</summary>
    Core,

    /// <summary>The package (package C6): reached only while every core of the package is in a core state or deeper.</summary>
    Package,
}

/// <summary>
/// The shape of the wake-up time of one idle state, as multiples of its exit latency: the inverse CDF is
/// linear between the quantiles given. The exit latency of intel_idle's tables stays the documented upper
/// bound that the governor uses; the simulated wake-up draws from this shape.
/// </summary>
public sealed record WakeShape : IParameters
{
    /// <summary>Shortest wake-up.</summary>
    [Param("Shortest wake-up, as a multiple of exit_latency", Source = "estimate where no measurement exists: wake-ups between 50% and 100% of the table's bound, median 60%; sweep it")]
    public double Min { get; init; } = 0.5;

    /// <summary>Median wake-up.</summary>
    [Param("Median wake-up, as a multiple of exit_latency", Source = "estimate (see min)")]
    public double P50 { get; init; } = 0.6;

    /// <summary>90th percentile.</summary>
    [Param("90th-percentile wake-up, as a multiple of exit_latency", Source = "estimate (see min)")]
    public double P90 { get; init; } = 0.7;

    /// <summary>99th percentile.</summary>
    [Param("99th-percentile wake-up, as a multiple of exit_latency", Source = "estimate (see min)")]
    public double P99 { get; init; } = 0.85;

    /// <summary>99.9th percentile.</summary>
    [Param("99.9th-percentile wake-up, as a multiple of exit_latency", Source = "estimate (see min)")]
    public double P999 { get; init; } = 0.95;

    /// <summary>Longest wake-up.</summary>
    [Param("Longest wake-up, as a multiple of exit_latency", Source = "estimate (see min): the table's figure is a worst case")]
    public double Max { get; init; } = 1.0;

    /// <summary>The quantile points (probability, multiple).</summary>
    private (double P, double X)[] Points => [(0, Min), (0.5, P50), (0.9, P90), (0.99, P99), (0.999, P999), (1, Max)];

    /// <summary>The wake-up at cumulative probability <paramref name="u"/> in [0, 1) for a state whose exit latency is <paramref name="exitLatency"/>.</summary>
    public Duration At(double u, Duration exitLatency)
    {
        var points = Points;
        for (int i = 1; i < points.Length; i++)
        {
            if (u <= points[i].P)
            {
                var (p0, x0) = points[i - 1];
                var (p1, x1) = points[i];
                double x = x0 + (x1 - x0) * (u - p0) / (p1 - p0);
                return new Duration((long)Math.Round(x * exitLatency.Picoseconds));
            }
        }
        return new Duration((long)(Max * exitLatency.Picoseconds));
    }

    /// <summary>A shape whose quantiles are <paramref name="quantilesNs"/> (min, p50, p90, p99, p99.9, max) less <paramref name="lessNs"/>, over <paramref name="exitLatency"/>.</summary>
    public static WakeShape FromMeasured(Duration exitLatency, double lessNs, params double[] quantilesNs)
    {
        ArgumentNullException.ThrowIfNull(quantilesNs);
        if (quantilesNs.Length != 6)
            throw new ArgumentException("six quantiles: min, p50, p90, p99, p99.9, max", nameof(quantilesNs));
        double F(int i) => Math.Round(Math.Max(0, quantilesNs[i] - lessNs) / exitLatency.TotalNanoseconds, 4);
        return new WakeShape { Min = F(0), P50 = F(1), P90 = F(2), P99 = F(3), P999 = F(4), Max = F(5) };
    }

    /// <inheritdoc />
    public IEnumerable<string> Validate(string path)
    {
        var points = Points;
        if (points.Any(p => p.X < 0 || double.IsNaN(p.X)))
            yield return $"{path}: wake multiples must be non-negative";
        for (int i = 1; i < points.Length; i++)
        {
            if (points[i].X < points[i - 1].X)
            {
                yield return $"{path}: quantiles must not decrease from min through p50, p90, p99, p999 to max";
                yield break;
            }
        }
    }
}

/// <summary>One idle state (C-state) as intel_idle, acpi_idle or cpuidle's poll state declares it.</summary>
public sealed record IdleState : IParameters
{
    /// <summary>Name as in the kernel's tables.</summary>
    [Param("Name of the idle state (POLL, C1, C1E, C6...)")]
    public string Name { get; init; } = "C1";

    /// <summary>Exit latency.</summary>
    [Param("Worst-case time from the wake-up event to the CPU running again, the figure the governor uses; for a package state, the figure with the whole package idle", Source = "drivers/idle/intel_idle.c exit_latency")]
    public Duration ExitLatency { get; init; } = Duration.FromMicroseconds(2);

    /// <summary>Target residency.</summary>
    [Param("The governor enters this state only when the predicted idle time is at least this long", Source = "drivers/idle/intel_idle.c target_residency")]
    public Duration TargetResidency { get; init; } = Duration.FromMicroseconds(2);

    /// <summary>Whether the TLB is lost in this state.</summary>
    [Param("The state loses the TLB (CPUIDLE_FLAG_TLB_FLUSHED: C3 and deeper): the kernel calls leave_mm before entering it, and the TLB is lost if the core really powers down", Source = "drivers/idle/intel_idle.c")]
    public bool FlushesTlb { get; init; }

    /// <summary>What must be idle for the state to be reached.</summary>
    [Param("thread (POLL, C1, C1E), core (reached only while every SMT sibling is idle in a core state) or package (reached only while every core of the package is); short of that the CPU stays in the deepest thread state, or the core state", Source = "Intel SDM vol. 3 14.5 (thread, core and package C-states); intel_idle.c skx_idle_state_table_update: C6 is 133 us with package C6 and 92 us (CC6 + PC0) without")]
    public IdleLevel Level { get; init; } = IdleLevel.Thread;

    /// <summary>Exit latency when a package state reaches only the core state.</summary>
    [Param("For a package state: the exit latency when the package stays active and only the core powers down (0: same as exit_latency)", Source = "intel_idle.c skx_idle_state_table_update: 92 us, 'the CC6 + PC0 latency'; spr_idle_state_table_update: 190 us; Ice Lake-SP: 41 us, the _CST figure quoted in a472ad2bcea4 (an estimate, 41-92 us)")]
    public Duration CoreExitLatency { get; init; }

    /// <summary>A polling state.</summary>
    [Param("A polling state (CPUIDLE_FLAG_POLLING, cpuidle's POLL): the CPU spins with TIF_POLLING_NRFLAG set, so a single call-function request sets need_resched instead of sending an IPI (call_function_single_prep_ipi), and an interrupt costs no exit latency", Source = "drivers/cpuidle/poll_state.c; kernel/sched/core.c call_function_single_prep_ipi")]
    public bool Polling { get; init; }

    /// <summary>The distribution of the simulated wake-up.</summary>
    [Param("Shape of the simulated wake-up time, as multiples of the exit latency in force (quantiles min, p50, p90, p99, p999, max)")]
    public WakeShape Wake { get; init; } = new();

    /// <summary>The exit latency that applies at <paramref name="level"/> (a package state reached only as a core state uses its core figure).</summary>
    public Duration ExitLatencyAt(IdleLevel level) =>
        Level == IdleLevel.Package && level == IdleLevel.Core && CoreExitLatency.Picoseconds > 0 ? CoreExitLatency : ExitLatency;

    /// <inheritdoc />
    public IEnumerable<string> Validate(string path)
    {
        foreach (var e in Check.NonNegative(path, "exit_latency", ExitLatency).Concat(Check.NonNegative(path, "target_residency", TargetResidency)).Concat(Check.NonNegative(path, "core_exit_latency", CoreExitLatency)))
            yield return e;
        foreach (var e in Wake.Validate(Check.Join(path, "wake")))
            yield return e;
        if (Polling && Level != IdleLevel.Thread)
            yield return $"{Check.Join(path, "polling")}: a polling state is a thread state (level: thread)";
    }
}
