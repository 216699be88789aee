using TlbSim.Analysis;
using TlbSim.Scenarios.Loading;
using TlbSim.Scenarios.Running;
using Xunit;
using Xunit.Abstractions;

namespace TlbSim.Tests.Scenarios;

/// <summary>Golden scenarios: does every scenario shipped in scenarios.yaml load and run (shortened), with sane results?</summary>
public class CanonicalScenariosTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_scenario_in_scenarios_yaml_loads_and_runs()
    {
        var path = Path.Combine(ScenarioLoaderTests.RepoRoot(), "scenarios.yaml");
        // Shortened: 1 ms measured after 0.5 ms, one replication, and at most 64 CPUs.
        var file = ScenarioLoader.Load(path, ["duration=1ms", "warmup=500us", "replications=1"]);
        Assert.Equal(["mechanisms_by_cpus", "alias_flush_by_cpus", "prlist_remapping", "direct_map_fragmentation"], file.Scenarios.Select(s => s.Name));
        var units = Runner.Plan(file, check: true).Where(u => u.Spec.Machine.Topology.Cpus <= 64).ToList();
        var records = Runner.ExecuteAll(units, jobs: 2);
        var rows = Aggregate.Summary(records);
        foreach (var row in rows.Where(r => r.Scenario == "mechanisms_by_cpus" && r.Cpus == 16))
            output.WriteLine($"{row.Mechanism,-14} p50 {row.P50Ns,9:F0} ns  ipis/s {row.IpisPerS,12:F0}  slowdown {row.WorkloadSlowdown:F3}");
        Assert.All(rows, r => Assert.True(r.Ops > 0, $"{r.Scenario}/{r.Point}/{r.Mechanism} measured no operation"));
        Assert.All(rows.Where(r => r.Mechanism == "baseline"), r => Assert.Equal(1.0, r.WorkloadSlowdown, 9));
        Assert.Contains(rows, r => r.Mechanism == "temporary_mm" && r.IpisPerS == 0);
        Assert.Contains(rows, r => r.Mechanism == "rare_alloc" && r.IpisPerS > 0);
        // vunmap flushes nothing: only eager alias flushing sends IPIs per write.
        Assert.All(rows.Where(r => r.Scenario == "alias_flush_by_cpus" && r.Mechanism != "baseline"),
            r => Assert.Equal(r.Assignments.First(a => a.Key == "mechanism.alias_flush").Value == "eager", r.IpisPerS > 0));
    }
}
