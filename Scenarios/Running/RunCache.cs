using System.Text.Json;
using System.Text.Json.Nodes;
using TlbSim.Analysis;
using TlbSim.Scenarios.Loading;

namespace TlbSim.Scenarios.Running;

/// <summary>
/// The runs a debate tool has done, by everything their results depend on: the machine, kernel, workload and
/// operation settings, the seed and windows, the design and its parameters, and the mechanism parameters the
/// design reads (<see cref="Model.Mechanisms.IMechanism.ParamsRead"/>). A run whose key was seen is not run
/// again; its record is reused under the new run's labels, so results are byte-identical with and without
/// the cache (runs are deterministic in their key). Moving a mechanism input leaves the baseline and every
/// design that does not read it to the cache; an input at its default end repeats the base evaluation.
/// What is kept is bounded: the first evaluation's runs (the base every later one is compared with) and the
/// previous evaluation's (a Morris step's predecessor, a crossover probe's earlier replications), not every
/// run ever done, whose histograms would grow without bound.
/// </summary>
public sealed class RunCache
{
    private Dictionary<string, RunRecord>? _first;
    private Dictionary<string, RunRecord> _previous = new(StringComparer.Ordinal);

    /// <summary>Runs asked for.</summary>
    public long Asked => Interlocked.Read(ref _asked);

    /// <summary>Runs answered from the cache.</summary>
    public long Reused => Interlocked.Read(ref _reused);

    private long _asked, _reused;

    /// <summary>The key of a run: everything its results depend on, as JSON.</summary>
    public static string Key(RunUnit unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var s = unit.Spec;
        var read = s.CreateMechanism().ParamsRead;
        var mechanism = JsonSerializer.SerializeToNode(s.MechanismParams)!.AsObject();
        if (read is not null)
        {
            foreach (var name in mechanism.Select(p => p.Key).ToList())
            {
                if (!read.Contains(ParamReflection.Snake(name)))
                    mechanism.Remove(name);
            }
        }
        var key = new JsonObject
        {
            ["machine"] = JsonSerializer.SerializeToNode(s.Machine),
            ["kernel"] = JsonSerializer.SerializeToNode(s.Kernel),
            ["workload"] = JsonSerializer.SerializeToNode(s.Workload),
            ["operations"] = JsonSerializer.SerializeToNode(s.Operations),
            ["mechanism"] = mechanism,
            ["label"] = s.Mechanism,
            ["design"] = s.DesignKey,
            ["tlb"] = s.TlbModel,
            ["duration"] = s.Duration.Picoseconds,
            ["warmup"] = s.Warmup.Picoseconds,
            ["sample"] = s.SampleInterval.Picoseconds,
            ["seed"] = s.Seed,
            ["check"] = s.Check,
        };
        return key.ToJsonString();
    }

    /// <summary>Runs the units not seen before (on up to <paramref name="jobs"/> threads) and answers the others from the cache, in plan order.</summary>
    public RunRecord[] ExecuteAll(IReadOnlyList<RunUnit> units, int jobs, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(units);
        var keys = units.Select(Key).ToArray();
        var now = new Dictionary<string, RunRecord>(StringComparer.Ordinal);
        foreach (var k in keys)
        {
            if ((_first is not null && _first.TryGetValue(k, out var r)) || _previous.TryGetValue(k, out r))
                now[k] = r;
        }
        var missing = Enumerable.Range(0, units.Count).Where(i => !now.ContainsKey(keys[i])).GroupBy(i => keys[i]).Select(g => g.First()).ToList();
        var ran = Runner.ExecuteAll([.. missing.Select(i => units[i])], jobs, cancel: cancel);
        for (int j = 0; j < missing.Count; j++)
            now[keys[missing[j]]] = ran[j];
        Interlocked.Add(ref _asked, units.Count);
        Interlocked.Add(ref _reused, units.Count - missing.Count);
        _first ??= now;
        _previous = now;
        var results = new RunRecord[units.Count];
        for (int i = 0; i < units.Count; i++)
        {
            var r = now[keys[i]];
            var u = units[i];
            results[i] = r.Scenario == u.Scenario.Name && r.Point == u.Point.Index && r.Mechanism == u.Mechanism && r.Replication == u.Replication
                && r.Assignments.SequenceEqual(u.Point.Assignments)
                ? r
                : new RunRecord
                {
                    Scenario = u.Scenario.Name, Point = u.Point.Index, Assignments = u.Point.Assignments, Mechanism = u.Mechanism, Replication = u.Replication,
                    OperationRate = r.OperationRate, Outcome = r.Outcome, Latencies = r.Latencies, Series = r.Series,
                };
        }
        return results;
    }
}
