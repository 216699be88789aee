using TlbSim.Analysis;
using TlbSim.Model.Units;
using TlbSim.Model.Mechanisms;
using TlbSim.Model.Workloads;
using TlbSim.Scenarios.Loading;

namespace TlbSim.Scenarios.Running;

/// <summary>One simulation to run: a scenario's sweep point, one mechanism, one replication.</summary>
/// <param name="Order">The unit's place in the canonical order of every run the file could ask for (scenario, point,
/// mechanism, replication): records are always written in this order, so output does not depend on how the
/// runs were split or scheduled.</param>
/// <param name="PointOrdinal">The sweep point's number across the file; shards split the file by point.</param>
/// <param name="Scenario">The scenario.</param>
/// <param name="Point">The sweep point.</param>
/// <param name="Mechanism">The mechanism's name.</param>
/// <param name="Replication">The replication number (its seed is the scenario's seed plus this).</param>
/// <param name="Spec">What the simulation runs.</param>
public sealed record RunUnit(int Order, int PointOrdinal, Scenario Scenario, SweepPoint Point, string Mechanism, int Replication, RunSpec Spec)
{
    /// <summary>A stable name for journals and messages.</summary>
    public string Key => $"{Scenario.Name}/{Point.Index}/{Mechanism}/{Replication}";
}

/// <summary>Plans the runs of a scenario file and executes them, serially or in parallel, with identical results.</summary>
public static class Runner
{
    /// <summary>Largest number of runs a file may ask for, counting every replication a precision target may add.</summary>
    public const long MaxPlannedRuns = 1_000_000;

    /// <summary>
    /// The first round of runs of <paramref name="file"/>: each point's initial replications, in canonical
    /// order: scenario, sweep point, mechanism (baseline first: slowdowns are relative to it), replication.
    /// Replication r of every mechanism at every point uses the same seed, so mechanisms are compared on the
    /// same random background (common random numbers). With <paramref name="shard"/>, only the points whose
    /// ordinal falls in that share (a point's runs stay together, so a precision target decides alike).
    /// </summary>
    public static List<RunUnit> Plan(ScenarioFile file, IReadOnlyCollection<string>? only = null, long? seed = null, int? replications = null, bool check = false,
        (int Index, int Count)? shard = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        var units = new List<RunUnit>();
        foreach (var group in Groups(file, only))
        {
            if (shard is { } sh && group.PointOrdinal % sh.Count != sh.Index)
                continue;
            int reps = replications ?? group.Point.Settings.Replications;
            for (int r = 0; r < reps; r++)
                units.Add(Unit(group, r, seed, check));
        }
        return units;
    }

    /// <summary>
    /// The next round of a precision target: for every point of <paramref name="planned"/> whose scenario sets
    /// one and that has not met it, every mechanism gets as many replications again (up to the cap). Decided
    /// from the records alone, so the same file and seed add the same runs whatever the job count, resume or
    /// shard. Empty when every point is done.
    /// </summary>
    public static List<RunUnit> MoreReplications(ScenarioFile file, IReadOnlyList<RunUnit> planned, IReadOnlyDictionary<int, RunRecord> records,
        IReadOnlyCollection<string>? only = null, long? seed = null, bool check = false)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(planned);
        ArgumentNullException.ThrowIfNull(records);
        var more = new List<RunUnit>();
        var groups = Groups(file, only).ToList();
        foreach (var point in planned.GroupBy(u => u.PointOrdinal))
        {
            var settings = point.First().Point.Settings;
            var target = settings.Precision;
            if (target.RelativeCi95 <= 0)
                continue;
            int reps = point.Max(u => u.Replication) + 1;
            if (reps >= target.MaxReplications || !PrecisionMet(point.Select(u => records[u.Order]).ToList(), target))
            {
                if (reps >= target.MaxReplications)
                    continue;
                int next = Math.Min(target.MaxReplications, reps * 2);
                foreach (var group in groups.Where(g => g.PointOrdinal == point.Key))
                {
                    for (int r = reps; r < next; r++)
                        more.Add(Unit(group, r, seed, check));
                }
            }
        }
        return more;
    }

    /// <summary>Whether every mechanism's first kind of operation at a point meets <paramref name="target"/>.</summary>
    public static bool PrecisionMet(IReadOnlyList<RunRecord> pointRecords, PrecisionParams target)
    {
        ArgumentNullException.ThrowIfNull(pointRecords);
        ArgumentNullException.ThrowIfNull(target);
        var rows = Aggregate.Summary(pointRecords).Where(r => r.PrimaryOperation).ToList();
        bool slowdown = target.Metric is PrecisionMetric.WorkloadSlowdown or PrecisionMetric.KernelTimeSlowdown;
        return rows.Where(r => !(slowdown && r.Mechanism == "baseline")).All(r => Precision.Met(r, target.Metric, target.RelativeCi95));
    }

    /// <summary>The (scenario, point, mechanism) groups of a file in canonical order, each with its first order number.</summary>
    private static IEnumerable<Group> Groups(ScenarioFile file, IReadOnlyCollection<string>? only)
    {
        int stride = Stride(file);
        int ordinal = 0, groupIndex = 0;
        foreach (var scenario in file.Scenarios)
        {
            bool included = only is not { Count: > 0 } || only.Contains(scenario.Name);
            foreach (var point in scenario.Points)
            {
                var s = point.Settings;
                foreach (var mechanism in s.RunMechanisms)
                {
                    if (included)
                        yield return new Group(scenario, point, ordinal, mechanism, checked(groupIndex * stride));
                    groupIndex++;
                }
                ordinal++;
            }
        }
    }

    /// <summary>Order numbers reserved per (point, mechanism): the most replications any point may reach.</summary>
    private static int Stride(ScenarioFile file) => file.Scenarios.SelectMany(s => s.Points)
        .Select(p => Math.Max(p.Settings.Replications, p.Settings.Precision.RelativeCi95 > 0 ? p.Settings.Precision.MaxReplications : 0)).DefaultIfEmpty(1).Max();

    /// <summary>Every run the file may ask for, precision targets at their caps (for bounding plans).</summary>
    public static long MaxRuns(ScenarioFile file, int? replications = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        long runs = 0;
        foreach (var p in file.Scenarios.SelectMany(s => s.Points))
        {
            var s = p.Settings;
            long mechanisms = s.RunMechanisms.Count;
            int reps = replications ?? s.Replications;
            runs += mechanisms * (s.Precision.RelativeCi95 > 0 ? Math.Max(reps, s.Precision.MaxReplications) : reps);
        }
        return runs;
    }

    private sealed record Group(Scenario Scenario, SweepPoint Point, int PointOrdinal, MechanismChoice Mechanism, int FirstOrder);

    private static RunUnit Unit(Group g, int r, long? seed, bool check)
    {
        var s = g.Point.Settings;
        var spec = new RunSpec
        {
            Machine = s.Machine,
            Kernel = s.Kernel,
            Workload = s.Workload,
            MechanismParams = g.Mechanism.Params,
            Operations = s.Operations,
            Mechanism = g.Mechanism.Label,
            Design = g.Mechanism.Create,
            DesignKey = $"{g.Mechanism.Design}({string.Join(",", g.Mechanism.DesignParams.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"))})",
            TlbModel = ParamReflection.Format(s.TlbModel),
            Duration = s.Duration,
            Warmup = s.Warmup,
            Seed = unchecked((seed ?? s.Seed) + r),
            SampleInterval = s.SampleInterval,
            Check = check,
        };
        return new RunUnit(g.FirstOrder + r, g.PointOrdinal, g.Scenario, g.Point, g.Mechanism.Label, r, spec);
    }

    /// <summary>Runs one unit and records what it measured.</summary>
    public static RunRecord Execute(RunUnit unit, RunProgress? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var observer = new Recorder(unit.Spec.CreateMechanism().OperationKinds);
        var outcome = Experiment.Run(unit.Spec, observer, progress is null ? null : sim => progress.Started(unit, sim), cancel);
        progress?.Finished(unit);
        return new RunRecord
        {
            Scenario = unit.Scenario.Name,
            Point = unit.Point.Index,
            Assignments = unit.Point.Assignments,
            Mechanism = unit.Mechanism,
            Replication = unit.Replication,
            OperationRate = unit.Spec.Operations.Rate,
            Outcome = outcome,
            Latencies = observer.Latencies,
            Series = observer.Series,
        };
    }

    /// <summary>
    /// Runs <paramref name="units"/> on up to <paramref name="jobs"/> threads. Results come back in plan order
    /// whatever the interleaving, so output is byte-identical for any job count. <paramref name="done"/> is
    /// told of each finished unit (from worker threads). Cancellation stops the runs in progress within a few
    /// thousand events (they are lost, not journaled) and starts no more.
    /// </summary>
    public static RunRecord[] ExecuteAll(IReadOnlyList<RunUnit> units, int jobs, Action<RunUnit, RunRecord>? done = null, RunProgress? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(units);
        var results = new RunRecord[units.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, jobs), CancellationToken = cancel };
        Parallel.ForEach(Enumerable.Range(0, units.Count), options, i =>
        {
            results[i] = Execute(units[i], progress, cancel);
            done?.Invoke(units[i], results[i]);
        });
        return results;
    }

    private sealed class Recorder(IReadOnlyList<string> kinds) : IRunObserver
    {
        public OperationLatency[] Latencies { get; } = kinds.Select(k => new OperationLatency(k, new LatencyHistogram())).ToArray();

        public SortedDictionary<(long Time, string Metric), double> Series { get; } = new(RunRecord.SeriesOrder);

        public void Operation(int kind, Duration latency) => Latencies[kind].Histogram.Record(latency.Picoseconds);

        public void Sample(Duration time, string metric, double value) => Series[(time.Picoseconds, metric)] = value;
    }
}
