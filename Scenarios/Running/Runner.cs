using TlbSim.Analysis;
using TlbSim.Model.Units;
using TlbSim.Model.Mechanisms;
using TlbSim.Model.Workloads;
using TlbSim.Scenarios.Loading;

namespace TlbSim.Scenarios.Running;

/// <summary>One simulation to run: a scenario's sweep point, one mechanism, one replication.</summary>
public sealed record RunUnit(int Order, Scenario Scenario, SweepPoint Point, string Mechanism, int Replication, RunSpec Spec)
{
    /// <summary>A stable name for journals and messages.</summary>
    public string Key => $"{Scenario.Name}/{Point.Index}/{Mechanism}/{Replication}";
}

/// <summary>Plans the runs of a scenario file and executes them, serially or in parallel, with identical results.</summary>
public static class Runner
{
    /// <summary>
    /// Every run of <paramref name="file"/>, in a fixed order: scenario, sweep point, mechanism (baseline
    /// first: slowdowns are relative to it), replication. Replication r of every mechanism at every point
    /// uses the same seed, so mechanisms are compared on the same random background (common random numbers).
    /// </summary>
    public static IReadOnlyList<RunUnit> Plan(ScenarioFile file, IReadOnlyCollection<string>? only = null, long? seed = null, int? replications = null, bool check = false)
    {
        ArgumentNullException.ThrowIfNull(file);
        var units = new List<RunUnit>();
        foreach (var scenario in file.Scenarios)
        {
            if (only is { Count: > 0 } && !only.Contains(scenario.Name))
                continue;
            foreach (var point in scenario.Points)
            {
                var s = point.Settings;
                var mechanisms = s.Mechanisms.Contains("baseline") ? s.Mechanisms.OrderBy(m => m == "baseline" ? 0 : 1).ToList() : ["baseline", .. s.Mechanisms];
                int reps = replications ?? s.Replications;
                foreach (var mechanism in mechanisms)
                {
                    for (int r = 0; r < reps; r++)
                    {
                        var spec = new RunSpec
                        {
                            Machine = s.Machine,
                            Kernel = s.Kernel,
                            Workload = s.Workload,
                            MechanismParams = s.Mechanism,
                            Operations = s.Operations,
                            Mechanism = mechanism,
                            TlbModel = ParamReflection.Format(s.TlbModel),
                            Duration = s.Duration,
                            Warmup = s.Warmup,
                            Seed = unchecked((seed ?? s.Seed) + r),
                            SampleInterval = s.SampleInterval,
                            Check = check,
                        };
                        units.Add(new RunUnit(units.Count, scenario, point, mechanism, r, spec));
                    }
                }
            }
        }
        return units;
    }

    /// <summary>Runs one unit and records what it measured.</summary>
    public static RunRecord Execute(RunUnit unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var observer = new Recorder(Registry.Create(unit.Mechanism).OperationKinds);
        var outcome = Experiment.Run(unit.Spec, observer);
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
    /// told of each finished unit (from worker threads). Cancellation stops before the next unit starts.
    /// </summary>
    public static RunRecord[] ExecuteAll(IReadOnlyList<RunUnit> units, int jobs, Action<RunUnit, RunRecord>? done = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(units);
        var results = new RunRecord[units.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, jobs), CancellationToken = cancel };
        Parallel.ForEach(Enumerable.Range(0, units.Count), options, i =>
        {
            results[i] = Execute(units[i]);
            done?.Invoke(units[i], results[i]);
        });
        return results;
    }

    private sealed class Recorder(IReadOnlyList<string> kinds) : IRunObserver
    {
        public OperationLatency[] Latencies { get; } = kinds.Select(k => new OperationLatency(k, new LogHistogram())).ToArray();

        public SortedDictionary<(long Time, string Metric), double> Series { get; } = new(RunRecord.SeriesOrder);

        public void Operation(int kind, Duration latency) => Latencies[kind].Histogram.Record(latency.Picoseconds);

        public void Sample(Duration time, string metric, double value) => Series[(time.Picoseconds, metric)] = value;
    }
}
