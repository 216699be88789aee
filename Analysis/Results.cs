using TlbSim.Model.Hardware;
using TlbSim.Model.Workloads;

namespace TlbSim.Analysis;

/// <summary>What one run (scenario x sweep point x mechanism x replication) produced.</summary>
public sealed class RunRecord
{
    /// <summary>Scenario name.</summary>
    public required string Scenario { get; init; }

    /// <summary>Sweep point index within the scenario.</summary>
    public required int Point { get; init; }

    /// <summary>The sweep assignments of the point (key path, value), in sweep order.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Assignments { get; init; }

    /// <summary>Mechanism name.</summary>
    public required string Mechanism { get; init; }

    /// <summary>Replication number.</summary>
    public required int Replication { get; init; }

    /// <summary>Operations per second of the operation generator at this point (for slowdown-versus-rate charts).</summary>
    public required double OperationRate { get; init; }

    /// <summary>Totals of the run.</summary>
    public required RunOutcome Outcome { get; init; }

    /// <summary>Operation latencies in picoseconds, one histogram per kind of operation, in the mechanism's order (the first is the kind charts show).</summary>
    public required IReadOnlyList<OperationLatency> Latencies { get; init; }

    /// <summary>Time-series samples: (time in ps since warm-up, metric) -> value.</summary>
    public required SortedDictionary<(long Time, string Metric), double> Series { get; init; }

    /// <summary>The order of time-series keys: by time, then metric name in ordinal order (never culture-dependent).</summary>
    public static IComparer<(long Time, string Metric)> SeriesOrder { get; } = Comparer<(long Time, string Metric)>.Create((a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time) : string.CompareOrdinal(a.Metric, b.Metric));
}

/// <summary>The latencies of one kind of operation in a run (xpfo: unmap and map; most designs: op).</summary>
/// <param name="Kind">The kind's name, as in the <c>operation</c> column.</param>
/// <param name="Histogram">Its latencies, in picoseconds.</param>
public sealed record OperationLatency(string Kind, LatencyHistogram Histogram);

/// <summary>One row of summary.csv: a scenario x mechanism x sweep point x kind of operation, over its replications.</summary>
public sealed record SummaryRow
{
    /// <summary>Scenario.</summary>
    public required string Scenario { get; init; }

    /// <summary>Mechanism.</summary>
    public required string Mechanism { get; init; }

    /// <summary>Sweep point index.</summary>
    public required int Point { get; init; }

    /// <summary>The kind of operation whose latencies the row gives.</summary>
    public required string Operation { get; init; }

    /// <summary>Whether this is the mechanism's first kind of operation, the one charts show.</summary>
    public required bool PrimaryOperation { get; init; }

    /// <summary>CPUs.</summary>
    public required int Cpus { get; init; }

    /// <summary>Replications.</summary>
    public required int Replications { get; init; }

    /// <summary>Operations measured, all replications.</summary>
    public required long Ops { get; init; }

    /// <summary>Latency percentiles and extremes, ns.</summary>
    public required double P50Ns { get; init; }

    /// <inheritdoc cref="P50Ns" />
    public required double P90Ns { get; init; }

    /// <inheritdoc cref="P50Ns" />
    public required double P99Ns { get; init; }

    /// <inheritdoc cref="P50Ns" />
    public required double P999Ns { get; init; }

    /// <inheritdoc cref="P50Ns" />
    public required double MaxNs { get; init; }

    /// <summary>
    /// Half-widths of the 95% intervals of the percentiles, ns: Student t over the replications' own
    /// percentiles (replications are independent; operations within one run are not). NaN with one replication.
    /// </summary>
    public required double P50Ci95Ns { get; init; }

    /// <inheritdoc cref="P50Ci95Ns" />
    public required double P90Ci95Ns { get; init; }

    /// <inheritdoc cref="P50Ci95Ns" />
    public required double P99Ci95Ns { get; init; }

    /// <inheritdoc cref="P50Ci95Ns" />
    public required double P999Ci95Ns { get; init; }

    /// <summary>Whether each percentile is supported by the data (<see cref="Statistics.Supported"/>).</summary>
    public required bool P50Ok { get; init; }

    /// <inheritdoc cref="P50Ok" />
    public required bool P90Ok { get; init; }

    /// <inheritdoc cref="P50Ok" />
    public required bool P99Ok { get; init; }

    /// <inheritdoc cref="P50Ok" />
    public required bool P999Ok { get; init; }

    /// <summary>Mean latency over replications' means, ns, and its 95% CI half-width.</summary>
    public required double MeanNs { get; init; }

    /// <inheritdoc cref="MeanNs" />
    public required double MeanCi95Ns { get; init; }

    /// <summary>Rates per second of simulated time.</summary>
    public required double OpsPerS { get; init; }

    /// <inheritdoc cref="OpsPerS" />
    public required double IpisPerS { get; init; }

    /// <inheritdoc cref="OpsPerS" />
    public required double ShootdownsPerS { get; init; }

    /// <inheritdoc cref="OpsPerS" />
    public required double FullFlushesPerS { get; init; }

    /// <inheritdoc cref="OpsPerS" />
    public required double TlbMissesPerS { get; init; }

    /// <summary>Shares of all CPU time.</summary>
    public required double WalkTimeShare { get; init; }

    /// <inheritdoc cref="WalkTimeShare" />
    public required double IrqTimeShare { get; init; }

    /// <inheritdoc cref="WalkTimeShare" />
    public required double FlushTimeShare { get; init; }

    /// <inheritdoc cref="WalkTimeShare" />
    public required double WorkloadTimeShare { get; init; }

    /// <inheritdoc cref="WalkTimeShare" />
    public required double KernelTimeShare { get; init; }

    /// <inheritdoc cref="WalkTimeShare" />
    public required double IdleTimeShare { get; init; }

    /// <summary>Share of CPU time waiting for contended kernel locks (spinlock spins, rwsem waits, their lock lines).</summary>
    public required double LockTimeShare { get; init; }

    /// <summary>Workload work rate of baseline at this point divided by this mechanism's (1 for baseline).</summary>
    public required double WorkloadSlowdown { get; init; }

    /// <summary>Kernel time per unit of work, relative to baseline at this point.</summary>
    public required double KernelTimeSlowdown { get; init; }

    /// <summary>Half-widths of the 95% intervals of the slowdowns: Student t over the replications' own ratios (each against baseline's replication with the same seed).</summary>
    public required double WorkloadSlowdownCi95 { get; init; }

    /// <inheritdoc cref="WorkloadSlowdownCi95" />
    public required double KernelTimeSlowdownCi95 { get; init; }

    /// <summary>The slowdowns against the same mechanism at the scenario's reference point (compare_reference), paired by replication; NaN without one.</summary>
    public double WorkloadSlowdownVsReference { get; init; } = double.NaN;

    /// <inheritdoc cref="WorkloadSlowdownVsReference" />
    public double KernelTimeSlowdownVsReference { get; init; } = double.NaN;

    /// <summary>Whether the point reached the scenario's precision target (null when the scenario has none).</summary>
    public bool? PrecisionMet { get; init; }

    /// <summary>
    /// Shares of the operations' total latency (all replications) spent waiting for the critical target's
    /// wake-up from idle, for its interrupts-off section, on the initiator's per-target work, and on the rest of
    /// the wait for targets; what is left is the initiator's own work.
    /// </summary>
    public required double LatencyShareWake { get; init; }

    /// <inheritdoc cref="LatencyShareWake" />
    public required double LatencyShareIrqsOff { get; init; }

    /// <inheritdoc cref="LatencyShareWake" />
    public required double LatencySharePerTarget { get; init; }

    /// <inheritdoc cref="LatencyShareWake" />
    public required double LatencyShareRemoteWait { get; init; }

    /// <summary>Closed-loop syscall benchmarks: iterations per second per thread (0 without a loop).</summary>
    public required double LoopsPerSPerThread { get; init; }

    /// <summary>Closed-loop syscall benchmarks: nanoseconds per iteration on one thread (NaN without a loop).</summary>
    public required double NsPerLoop { get; init; }

    /// <summary>
    /// Share of all CPU time a profile attributes to TLB invalidation: the initiator's local flush, IPI sends
    /// and wait, and a target's flush handler with its interrupt entry and exit (flush plus interrupt time);
    /// not the translation refills after it (walk time) nor waits for kernel locks (lock time).
    /// </summary>
    public required double TlbInvalidationShare { get; init; }

    /// <summary>Direct-map mapping counts at the end (mean over replications).</summary>
    public required double DirectMap1G { get; init; }

    /// <inheritdoc cref="DirectMap1G" />
    public required double DirectMap2M { get; init; }

    /// <inheritdoc cref="DirectMap1G" />
    public required double DirectMap4K { get; init; }

    /// <summary>Operation rate of the generator at this point.</summary>
    public required double OperationRate { get; init; }

    /// <summary>The swept parameters and their values at this point.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Assignments { get; init; }
}

/// <summary>Aggregates run records into summary rows, histograms and time series, in a fixed order.</summary>
public static class Aggregate
{
    /// <summary>Groups by (scenario, point, mechanism) in first-seen order of <paramref name="records"/> (which the runner keeps deterministic).</summary>
    public static IReadOnlyList<IGrouping<(string Scenario, int Point, string Mechanism), RunRecord>> Groups(IEnumerable<RunRecord> records) =>
        records.GroupBy(r => (r.Scenario, r.Point, r.Mechanism)).ToList();

    /// <summary>
    /// One summary row per group, with slowdowns against baseline at the same point; with
    /// <paramref name="precisionTargets"/>, each row of a point that has a target says whether it met it.
    /// </summary>
    public static IReadOnlyList<SummaryRow> Summary(IReadOnlyList<RunRecord> records, IReadOnlyDictionary<(string Scenario, int Point), PrecisionTarget>? precisionTargets = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        var baseline = records.Where(r => r.Mechanism == "baseline").ToDictionary(r => (r.Scenario, r.Point, r.Replication));
        var rows = new List<SummaryRow>();
        foreach (var g in Groups(records))
        {
            var reps = g.OrderBy(r => r.Replication).ToList();
            var kinds = reps[0].Latencies.Select(l => l.Kind).ToList();
            for (int k = 0; k < kinds.Count; k++)
                rows.Add(Row(g.Key, reps, k, kinds[k], baseline));
        }
        return WithPrecision(rows, precisionTargets);
    }

    /// <summary>
    /// Adds the slowdowns against a reference point of the same sweep: for each scenario with a reference
    /// (swept key -> value), each row is compared with the row of the same mechanism and kind whose point has
    /// the same assignments but for those keys, which take the reference values. Workload slowdown is the
    /// reference's work rate over this point's, kernel-time slowdown this point's kernel time per work over
    /// the reference's, each the ratio of replication means paired by replication number.
    /// </summary>
    public static IReadOnlyList<SummaryRow> WithReference(IReadOnlyList<SummaryRow> rows, IReadOnlyList<RunRecord> records,
        IReadOnlyDictionary<string, IReadOnlyList<KeyValuePair<string, string>>> references)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count == 0)
            return rows;
        var byPoint = records.GroupBy(r => (r.Scenario, r.Point, r.Mechanism)).ToDictionary(g => g.Key, g => g.ToDictionary(r => r.Replication));
        var pointOf = records.GroupBy(r => r.Scenario).ToDictionary(g => g.Key, g => g.GroupBy(r => r.Point).ToDictionary(p => p.Key, p => p.First().Assignments));
        var result = new List<SummaryRow>(rows.Count);
        foreach (var row in rows)
        {
            if (!references.TryGetValue(row.Scenario, out var reference) || !pointOf.TryGetValue(row.Scenario, out var points))
            {
                result.Add(row);
                continue;
            }
            var wanted = row.Assignments.Select(a => reference.FirstOrDefault(r => r.Key == a.Key) is { Key: not null } r ? new KeyValuePair<string, string>(a.Key, r.Value) : a).ToList();
            int? refPoint = null;
            foreach (var (index, assignments) in points)
            {
                if (assignments.Count == wanted.Count && assignments.Zip(wanted).All(z => z.First.Key == z.Second.Key && z.First.Value == z.Second.Value))
                {
                    refPoint = index;
                    break;
                }
            }
            if (refPoint is null || !byPoint.TryGetValue((row.Scenario, row.Point, row.Mechanism), out var mine) || !byPoint.TryGetValue((row.Scenario, refPoint.Value, row.Mechanism), out var theirs))
            {
                result.Add(row);
                continue;
            }
            var pairs = mine.Where(m => theirs.ContainsKey(m.Key)).Select(m => (Mine: m.Value.Outcome, Ref: theirs[m.Key].Outcome)).ToList();
            double Ratio(Func<RunOutcome, double> f, bool inverse)
            {
                var ok = pairs.Where(p => f(p.Mine) > 0 && f(p.Ref) > 0).ToList();
                if (ok.Count == 0)
                    return double.NaN;
                return inverse ? ok.Average(p => f(p.Ref)) / ok.Average(p => f(p.Mine)) : ok.Average(p => f(p.Mine)) / ok.Average(p => f(p.Ref));
            }
            result.Add(row with
            {
                WorkloadSlowdownVsReference = Ratio(o => o.TimeShare[TimeCategory.Workload], inverse: true),
                KernelTimeSlowdownVsReference = Ratio(o => o.KernelTimePerWork, inverse: false),
            });
        }
        return result;
    }

    private static List<SummaryRow> WithPrecision(List<SummaryRow> rows, IReadOnlyDictionary<(string Scenario, int Point), PrecisionTarget>? precisionTargets)
    {
        if (precisionTargets is { Count: > 0 })
        {
            for (int i = 0; i < rows.Count; i++)
            {
                if (precisionTargets.TryGetValue((rows[i].Scenario, rows[i].Point), out var target))
                    rows[i] = rows[i] with { PrecisionMet = Precision.Met(rows[i], target.Metric, target.RelativeCi95) };
            }
        }
        return rows;
    }

    private static SummaryRow Row((string Scenario, int Point, string Mechanism) key, List<RunRecord> reps, int kind, string kindName,
        Dictionary<(string Scenario, int Point, int Replication), RunRecord> baseline)
    {
        var merged = new LatencyHistogram();
        foreach (var r in reps)
            merged.Merge(r.Latencies[kind].Histogram);
        var (mean, ci) = Statistics.MeanCi95(reps.Where(r => r.Latencies[kind].Histogram.Count > 0).Select(r => r.Latencies[kind].Histogram.Mean / 1e3).ToList());
        double seconds = reps.Sum(r => r.Outcome.Seconds);
        double Rate(Func<RunOutcome, double> f) => seconds > 0 ? reps.Sum(r => f(r.Outcome)) / seconds : 0;
        double opsPerS = seconds > 0 ? merged.Count / seconds : 0;
        double Share(TimeCategory c) => reps.Average(r => r.Outcome.TimeShare[c]);
        List<(double Base, double Mine)> Pairs(Func<RunOutcome, double> f) =>
            reps.Where(r => baseline.ContainsKey((r.Scenario, r.Point, r.Replication)))
                .Select(r => (Base: f(baseline[(r.Scenario, r.Point, r.Replication)].Outcome), Mine: f(r.Outcome)))
                .Where(p => p.Base > 0 && p.Mine > 0).ToList();
        double Ratio(Func<RunOutcome, double> f, bool inverse)
        {
            var pairs = Pairs(f);
            if (pairs.Count == 0)
                return double.NaN;
            return inverse ? pairs.Average(p => p.Base) / pairs.Average(p => p.Mine) : pairs.Average(p => p.Mine) / pairs.Average(p => p.Base);
        }
        double RatioCi(Func<RunOutcome, double> f, bool inverse) =>
            Statistics.HalfWidth95(Pairs(f).Select(p => inverse ? p.Base / p.Mine : p.Mine / p.Base).ToList());
        var withOps = reps.Where(r => r.Latencies[kind].Histogram.Count > 0).ToList();
        double PercentileCi(double q) => Statistics.HalfWidth95(withOps.Select(r => r.Latencies[kind].Histogram.Percentile(q) / 1e3).ToList());
        var opsPerRep = reps.Select(r => r.Latencies[kind].Histogram.Count).ToList();
        var first = reps[0];
        var split = reps.Where(r => kind < r.Outcome.Breakdown.Count).Select(r => r.Outcome.Breakdown[kind]).Aggregate(new OperationBreakdown(), (a, b) => a.Add(b));
        double Of(long ps) => split.TotalPs > 0 ? (double)ps / split.TotalPs : 0;
        return new SummaryRow
        {
            Scenario = key.Scenario,
            Mechanism = key.Mechanism,
            Point = key.Point,
            Operation = kindName,
            PrimaryOperation = kind == 0,
            Cpus = first.Outcome.Cpus,
            Replications = reps.Count,
            Ops = merged.Count,
            // No operation of this kind at this point: no latency to report (empty cells, not zeros).
            P50Ns = merged.Count == 0 ? double.NaN : merged.Percentile(50) / 1e3,
            P90Ns = merged.Count == 0 ? double.NaN : merged.Percentile(90) / 1e3,
            P99Ns = merged.Count == 0 ? double.NaN : merged.Percentile(99) / 1e3,
            P999Ns = merged.Count == 0 ? double.NaN : merged.Percentile(99.9) / 1e3,
            MaxNs = merged.Count == 0 ? double.NaN : merged.Max / 1e3,
            P50Ci95Ns = PercentileCi(50),
            P90Ci95Ns = PercentileCi(90),
            P99Ci95Ns = PercentileCi(99),
            P999Ci95Ns = PercentileCi(99.9),
            P50Ok = Statistics.Supported(50, opsPerRep),
            P90Ok = Statistics.Supported(90, opsPerRep),
            P99Ok = Statistics.Supported(99, opsPerRep),
            P999Ok = Statistics.Supported(99.9, opsPerRep),
            MeanNs = merged.Count == 0 ? double.NaN : mean,
            MeanCi95Ns = ci,
            OpsPerS = opsPerS,
            IpisPerS = Rate(o => o.Ipis),
            ShootdownsPerS = Rate(o => o.Shootdowns),
            FullFlushesPerS = Rate(o => o.FullFlushes),
            TlbMissesPerS = Rate(o => o.TlbMisses),
            WalkTimeShare = Share(TimeCategory.Walk),
            IrqTimeShare = Share(TimeCategory.Interrupt),
            FlushTimeShare = Share(TimeCategory.Flush),
            WorkloadTimeShare = Share(TimeCategory.Workload),
            KernelTimeShare = Share(TimeCategory.Kernel),
            IdleTimeShare = Share(TimeCategory.Idle),
            LockTimeShare = Share(TimeCategory.Lock),
            WorkloadSlowdown = Ratio(o => o.TimeShare[TimeCategory.Workload], inverse: true),
            KernelTimeSlowdown = Ratio(o => o.KernelTimePerWork, inverse: false),
            WorkloadSlowdownCi95 = RatioCi(o => o.TimeShare[TimeCategory.Workload], inverse: true),
            KernelTimeSlowdownCi95 = RatioCi(o => o.KernelTimePerWork, inverse: false),
            LoopsPerSPerThread = seconds > 0 && first.Outcome.LoopThreads > 0 ? reps.Sum(r => (double)r.Outcome.Loops) / first.Outcome.LoopThreads / seconds : 0,
            NsPerLoop = reps.Sum(r => r.Outcome.Loops) > 0 ? seconds * first.Outcome.LoopThreads * 1e9 / reps.Sum(r => (double)r.Outcome.Loops) : double.NaN,
            TlbInvalidationShare = Share(TimeCategory.Flush) + Share(TimeCategory.Interrupt),
            LatencyShareWake = Of(split.WakePs),
            LatencyShareIrqsOff = Of(split.IrqsOffPs),
            LatencySharePerTarget = Of(split.PerTargetPs),
            LatencyShareRemoteWait = Of(split.RemoteWaitPs),
            DirectMap1G = reps.Average(r => (double)r.Outcome.DirectMap1G),
            DirectMap2M = reps.Average(r => (double)r.Outcome.DirectMap2M),
            DirectMap4K = reps.Average(r => (double)r.Outcome.DirectMap4K),
            OperationRate = first.OperationRate,
            Assignments = first.Assignments,
        };
    }

    /// <summary>Merged latency histogram per group and kind of operation (kinds in the mechanism's order).</summary>
    public static IReadOnlyList<((string Scenario, int Point, string Mechanism) Key, string Operation, int Cpus, LatencyHistogram Histogram)> Histograms(IReadOnlyList<RunRecord> records)
    {
        var list = new List<((string, int, string), string, int, LatencyHistogram)>();
        foreach (var g in Groups(records))
        {
            var first = g.First();
            for (int k = 0; k < first.Latencies.Count; k++)
            {
                var h = new LatencyHistogram();
                foreach (var r in g)
                    h.Merge(r.Latencies[k].Histogram);
                list.Add((g.Key, first.Latencies[k].Kind, first.Outcome.Cpus, h));
            }
        }
        return list;
    }

    /// <summary>Time series per group, each sample the mean over replications that have it.</summary>
    public static IReadOnlyList<((string Scenario, int Point, string Mechanism) Key, int Cpus, IReadOnlyList<(long Time, string Metric, double Value)> Samples)> Series(IReadOnlyList<RunRecord> records)
    {
        var list = new List<((string, int, string), int, IReadOnlyList<(long, string, double)>)>();
        foreach (var g in Groups(records))
        {
            var sums = new SortedDictionary<(long Time, string Metric), (double Sum, int N)>(RunRecord.SeriesOrder);
            foreach (var r in g)
            {
                foreach (var (k, v) in r.Series)
                {
                    var (s, n) = sums.GetValueOrDefault(k);
                    sums[k] = (s + v, n + 1);
                }
            }
            list.Add((g.Key, g.First().Outcome.Cpus, sums.Select(kv => (kv.Key.Item1, kv.Key.Item2, kv.Value.Sum / kv.Value.N)).ToList()));
        }
        return list;
    }
}
