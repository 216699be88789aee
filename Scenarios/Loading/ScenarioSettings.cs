using TlbSim.Model.Hardware;
using TlbSim.Model.Linux;
using TlbSim.Model.Mechanisms;
using TlbSim.Model.Parameters;
using TlbSim.Model.Units;
using TlbSim.Model.Workloads;

namespace TlbSim.Scenarios.Loading;

/// <summary>Which TLB model a scenario uses.</summary>
public enum TlbModelKind
{
    /// <summary>The Che approximation (fast, the default).</summary>
    Analytic,

    /// <summary>Set-associative LRU on a sampled stream (slow, for validation).</summary>
    Trace,
}

/// <summary>
/// A precision target: replications are added to a sweep point, all its mechanisms together, until the 95%
/// interval of <see cref="Metric"/> is within <see cref="RelativeCi95"/> of its value for every mechanism's
/// first kind of operation, or <see cref="MaxReplications"/> is reached.
/// </summary>
public sealed record PrecisionParams : IParameters
{
    /// <summary>The figure to make precise.</summary>
    [Param("The summary figure whose interval must be tight: op_latency_p50_ns, op_latency_p90_ns, op_latency_p99_ns, op_latency_p999_ns, op_latency_mean_ns, workload_slowdown or kernel_time_slowdown")]
    public Analysis.PrecisionMetric Metric { get; init; } = Analysis.PrecisionMetric.OpLatencyP99Ns;

    /// <summary>The target.</summary>
    [Param("Target half-width of the 95% interval as a share of the value (0.05: within 5%); 0 turns adaptive replication off", Unit = "share")]
    public double RelativeCi95 { get; init; }

    /// <summary>The cap.</summary>
    [Param("Most replications a point may reach while chasing the target; each round doubles the count", Unit = "runs")]
    public int MaxReplications { get; init; } = 20;

    /// <inheritdoc />
    public IEnumerable<string> Validate(string path) =>
        Check.Range(path, "relative_ci95", RelativeCi95, 0, 10).Concat(Check.Range(path, "max_replications", MaxReplications, 2, 10_000));
}

/// <summary>Everything one scenario (one sweep point) sets: the top level of a scenario in a file.</summary>
public sealed record ScenarioSettings : IParameters
{
    /// <summary>Free text shown in listings and the report.</summary>
    [Param("What the scenario shows, in a sentence")]
    public string Description { get; init; } = "";

    /// <summary>Mechanisms compared in this scenario.</summary>
    [Param("Designs to compare: a name (built in, or defined under the file's designs), or {name, label, <mechanism option>: value, <design param>: value} to run a design with its own options; baseline is added when missing, since slowdowns are relative to it")]
    public IReadOnlyList<MechanismChoice> Mechanisms { get; init; } = [];

    /// <summary>The mechanisms a point runs: baseline first (added when not listed), then the others in their order.</summary>
    public IReadOnlyList<MechanismChoice> RunMechanisms =>
        Mechanisms.Any(m => m.Label == "baseline")
            ? [.. Mechanisms.Where(m => m.Label == "baseline"), .. Mechanisms.Where(m => m.Label != "baseline")]
            : [MechanismChoice.Baseline(Mechanism), .. Mechanisms];

    /// <summary>Measured simulated time.</summary>
    [Param("Simulated time measured after the warm-up", Source = "long enough for a few hundred operations at the default rates")]
    public Duration Duration { get; init; } = Duration.FromMilliseconds(20);

    /// <summary>Warm-up.</summary>
    [Param("Simulated time before measurement starts (TLBs, direct map and queues settle)")]
    public Duration Warmup { get; init; } = Duration.FromMilliseconds(2);

    /// <summary>Replications.</summary>
    [Param("Independent replications (seeds derived from seed and the replication number)", Unit = "runs")]
    public int Replications { get; init; } = 2;

    /// <summary>Run seed.</summary>
    [Param("Seed of the first replication's random streams", Unit = "seed")]
    public long Seed { get; init; } = 1;

    /// <summary>TLB model.</summary>
    [Param("TLB model: analytic (Che approximation) or trace (set-associative LRU on sampled accesses)")]
    public TlbModelKind TlbModel { get; init; } = TlbModelKind.Analytic;

    /// <summary>Time-series spacing.</summary>
    [Param("Spacing of the time-series samples (direct-map counts, IPI rate)")]
    public Duration SampleInterval { get; init; } = Duration.FromMilliseconds(1);

    /// <summary>Adaptive replication.</summary>
    public PrecisionParams Precision { get; init; } = new();

    /// <summary>The sweep point slowdowns are also given against.</summary>
    [Param("Also compare every point with the point of the same sweep where these swept keys take these values (key=value, e.g. kernel.force4k_direct_map=false): summary.csv gains workload_slowdown_vs_reference and kernel_time_slowdown_vs_reference, each mechanism against itself at the reference point, paired by replication")]
    public IReadOnlyList<string> CompareReference { get; init; } = [];

    /// <summary>The machine.</summary>
    public MachineParams Machine { get; init; } = MachinePresets.SkylakeSp2s;

    /// <summary>The kernel's flush settings.</summary>
    public KernelParams Kernel { get; init; } = new();

    /// <summary>The background load.</summary>
    public WorkloadParams Workload { get; init; } = WorkloadPresets.KernelBuild;

    /// <summary>Mechanism costs and options.</summary>
    public MechanismParams Mechanism { get; init; } = new();

    /// <summary>The operation generator.</summary>
    public OperationParams Operations { get; init; } = new();

    /// <summary>Most time-series samples per metric and run.</summary>
    public const long MaxSamples = 100_000;

    /// <inheritdoc />
    public IEnumerable<string> Validate(string path)
    {
        var e = new List<string>();
        e.AddRange(Check.NonNegative(path, "duration", Duration, positive: true));
        e.AddRange(Check.NonNegative(path, "warmup", Warmup));
        e.AddRange(Check.NonNegative(path, "sample_interval", SampleInterval, positive: true));
        e.AddRange(Check.Range(path, "replications", Replications, 1, 10_000));
        if (Duration > Duration.FromSeconds(100))
            e.Add($"{Check.Join(path, "duration")}: at most 100s of simulated time (was {Duration})");
        if (SampleInterval.Picoseconds > 0 && Duration.Picoseconds / SampleInterval.Picoseconds > MaxSamples)
            e.Add($"{Check.Join(path, "sample_interval")}: {Duration} / {SampleInterval} is {Duration.Picoseconds / SampleInterval.Picoseconds:N0} samples per metric and run; at most {MaxSamples:N0}");
        if (Operations.Initiators > Machine.Topology.Cpus)
            e.Add($"{Check.Join(path, "operations.initiators")}: {Operations.Initiators} initiators on a machine of {Machine.Topology.Cpus} CPUs; at most one per CPU (0: every CPU)");
        if (Workload.LoopThreads > Machine.Topology.Cpus)
            e.Add($"{Check.Join(path, "workload.loop_threads")}: {Workload.LoopThreads} loop threads on a machine of {Machine.Topology.Cpus} CPUs; at most one per CPU (0: every CPU)");
        e.AddRange(Precision.Validate(Check.Join(path, "precision")));
        foreach (var c in CompareReference)
        {
            int eq = c.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == c.Length - 1)
                e.Add($"{Check.Join(path, "compare_reference")}: '{c}' is not key=value (for example kernel.force4k_direct_map=false)");
            else if (ScenarioLoader.ResolveType(c[..eq].Trim()) is null)
                e.Add($"{Check.Join(path, "compare_reference")}: unknown parameter '{c[..eq].Trim()}'");
        }
        if (Precision.RelativeCi95 > 0 && Precision.MaxReplications < Replications)
            e.Add($"{Check.Join(path, "precision.max_replications")}: must be at least replications ({Replications})");
        e.AddRange(Machine.Validate(Check.Join(path, "machine")));
        e.AddRange(Kernel.Validate(Check.Join(path, "kernel")));
        e.AddRange(Workload.Validate(Check.Join(path, "workload")));
        e.AddRange(Mechanism.Validate(Check.Join(path, "mechanism")));
        e.AddRange(Operations.Validate(Check.Join(path, "operations")));
        return e;
    }
}
