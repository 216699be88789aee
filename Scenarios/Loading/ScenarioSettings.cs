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

/// <summary>
/// A crossover question: where along one parameter do two designs (or a design and a budget) cross on a
/// metric? <c>tlbsim crossover FILE</c> answers it by bisection, adding replications until the two are told
/// apart at each probe.
/// </summary>
public sealed record CrossoverParams : IParameters
{
    /// <summary>The first design.</summary>
    [Param("The first design's label in this scenario's mechanisms (empty: no crossover question)")]
    public string A { get; init; } = "";

    /// <summary>The second design or a budget.</summary>
    [Param("The second design's label, or a number: a budget in the metric's unit (where does a pass it?)")]
    public string B { get; init; } = "";

    /// <summary>The figure compared.</summary>
    [Param("The summary figure compared: op_latency_p50_ns, op_latency_p90_ns, op_latency_p99_ns, op_latency_p999_ns, op_latency_mean_ns, workload_slowdown or kernel_time_slowdown")]
    public Analysis.PrecisionMetric Metric { get; init; } = Analysis.PrecisionMetric.OpLatencyP50Ns;

    /// <summary>The parameter moved.</summary>
    [Param("The parameter to move, as a key path (machine.cpus, operations.rate, mechanism.xpfo_batch...)")]
    public string Along { get; init; } = "";

    /// <summary>Start of the range.</summary>
    [Param("Low end of the range searched, written as the parameter is (64, 0.5, 20ns)")]
    public string From { get; init; } = "";

    /// <summary>End of the range.</summary>
    [Param("High end of the range searched, written as the parameter is")]
    public string To { get; init; } = "";

    /// <summary>Resolution.</summary>
    [Param("Stop when the crossing is bracketed this tightly: a whole step for whole-number parameters (0: 1, or sockets x threads per core for machine.cpus), else a share of the value (0: 5%)", Unit = "value")]
    public double Resolution { get; init; }

    /// <summary>The range's ends as numbers (picoseconds for durations), or null when they do not convert.</summary>
    public (double From, double To)? Range()
    {
        if (ScenarioLoader.ResolveType(Along) is not { } type)
            return null;
        double? Number(string text) => ParamReflection.Convert(text, type, out var error) switch
        {
            _ when error is not null => null,
            int i => i,
            long l => l,
            double d => d,
            Model.Units.Duration t => t.Picoseconds,
            _ => null,
        };
        return Number(From) is { } a && Number(To) is { } b ? (a, b) : null;
    }

    /// <summary>Replication cap per probe.</summary>
    [Param("Most replications a probe may reach while the two cannot be told apart (each round doubles them)", Unit = "runs")]
    public int MaxReplications { get; init; } = 16;

    /// <inheritdoc />
    public IEnumerable<string> Validate(string path)
    {
        if (A.Length == 0)
            yield break;
        if (A == B)
            yield return $"{Check.Join(path, "b")}: the same as a; compare two designs, or a design with a budget";
        if (double.TryParse(B, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double budget) && !double.IsFinite(budget))
            yield return $"{Check.Join(path, "b")}: a budget must be a finite number (was {B})";
        if (Along.Length == 0 || ScenarioLoader.ResolveType(Along) is not { } type || !(type == typeof(int) || type == typeof(long) || type == typeof(double) || type == typeof(Model.Units.Duration)))
        {
            yield return $"{Check.Join(path, "along")}: '{Along}' is not a numeric parameter path{Suggest.DidYouMean(Along, ScenarioLoader.AllPaths())} (a design's own params are set per mechanisms entry and cannot be moved)";
            yield break;
        }
        foreach (var (key, text) in new[] { ("from", From), ("to", To) })
        {
            ParamReflection.Convert(text, type, out var error);
            if (text.Length == 0 || error is not null)
                yield return $"{Check.Join(path, key)}: {(text.Length == 0 ? "missing" : error)} (a value of {Along})";
        }
        if (Range() is { } r && !(r.To > r.From))
            yield return $"{Check.Join(path, "to")}: must be above from ({From})";

        foreach (var e in Check.Range(path, "max_replications", MaxReplications, 2, 1000))
            yield return e;
    }
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

    /// <summary>A crossover question for <c>tlbsim crossover</c>.</summary>
    public CrossoverParams Crossover { get; init; } = new();

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
        e.AddRange(Crossover.Validate(Check.Join(path, "crossover")));
        if (Crossover.A.Length > 0)
        {
            foreach (var (key, label) in new[] { ("a", Crossover.A), ("b", Crossover.B) })
            {
                if (key == "b" && double.TryParse(label, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _))
                    continue;
                if (RunMechanisms.All(m => m.Label != label))
                    e.Add($"{Check.Join(path, $"crossover.{key}")}: '{label}' is not among this scenario's mechanisms ({string.Join(", ", RunMechanisms.Select(m => m.Label))}){Suggest.DidYouMean(label, RunMechanisms.Select(m => m.Label))}");
            }
        }
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
