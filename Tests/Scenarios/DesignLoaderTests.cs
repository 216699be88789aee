using TlbSim.Scenarios;
using TlbSim.Scenarios.Loading;
using Xunit;

namespace TlbSim.Tests.Scenarios;

/// <summary>
/// Can a user write a design in the scenario file, is it checked like every other setting, and does it run
/// like a built-in design, with options that may differ per entry of one scenario?
/// </summary>
public class DesignLoaderTests
{
    private const string Scenario = """
        scenarios:
          - name: x
            machine: {preset: skylake_sp_2s, cpus: 8}
            workload: {preset: kernel_build}
            operations: {rate: 20000}
            duration: 3ms
            warmup: 1ms
            replications: 1

        """;

    private static string Run(string yaml)
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("tlbsim-design").FullName, "s.yaml");
        File.WriteAllText(file, yaml);
        string dir = Path.Combine(Path.GetDirectoryName(file)!, "out");
        var error = new StringWriter();
        Assert.True(TlbsimCli.Run(["run", file, "--out", dir, "--quiet"], new StringWriter(), error) == 0, error.ToString());
        return dir;
    }

    private static Dictionary<string, Dictionary<string, string>> Summary(string dir)
    {
        var lines = File.ReadAllLines(Path.Combine(dir, "summary.csv"));
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => l.Split(',')).ToDictionary(c => c[1], c => header.Zip(c).ToDictionary(p => p.First, p => p.Second));
    }

    [Fact]
    public void Every_mistake_in_a_design_is_reported_at_once_with_its_location_and_a_suggestion()
    {
        const string text = """
            designs:
              mine:
                steps:
                  - set_memroy_ro: {pages: 1}
                  - set_memory_ro: {pages: lots, adress: vmalloc}
                  - repeat: {times: 5}
                  - when: {param: alias_flsh, is: eager, steps: [write]}
              rare_alloc:
                steps: [write]
            scenarios:
              - name: x
                mechanisms: [mine, {name: prlist, prlist_grouping: per_nod}, {name: mine, colour: red}, mystery]
            """;
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(text, "bad.yaml"));
        string all = string.Join("\n", e.Errors);
        Assert.Contains("bad.yaml:4:9: designs.mine.steps[0]: unknown step 'set_memroy_ro' (did you mean 'set_memory_ro'?)", all, StringComparison.Ordinal);
        Assert.Contains("bad.yaml:5:9: designs.mine.steps[1].set_memory_ro: set_memory_ro acts on the current page", all, StringComparison.Ordinal);
        Assert.Contains("bad.yaml:5:32: designs.mine.steps[1].set_memory_ro.pages: 'lots' is neither a whole number nor a whole-number parameter", all, StringComparison.Ordinal);
        Assert.Contains("bad.yaml:5:38: designs.mine.steps[1].set_memory_ro.adress: unknown argument 'adress' (did you mean 'address'?)", all, StringComparison.Ordinal);
        Assert.Contains("designs.mine.steps[2].repeat.steps: missing: the list of steps", all, StringComparison.Ordinal);
        Assert.Contains("designs.mine.steps[3].when.param: unknown parameter 'alias_flsh' (did you mean 'alias_flush'?)", all, StringComparison.Ordinal);
        Assert.Contains("bad.yaml:8:3: designs.rare_alloc: 'rare_alloc' is already a design", all, StringComparison.Ordinal);
        Assert.Contains("mechanisms[1].prlist_grouping: 'per_nod' is not one of per_field, per_node (did you mean 'per_node'?)", all, StringComparison.Ordinal);
        Assert.Contains("mechanisms[2].colour: unknown option 'colour'", all, StringComparison.Ordinal);
        Assert.Contains("mechanisms[3]: unknown design 'mystery'", all, StringComparison.Ordinal);
        Assert.Equal(10, e.Errors.Count);
    }

    [Fact]
    public void A_design_whose_repeats_multiply_past_a_million_steps_per_operation_is_refused_where_it_is_used()
    {
        const string text = """
            designs:
              bomb:
                params: {n: 1000}
                steps:
                  - repeat: {times: 1000000, steps: [{repeat: {times: 1000000, steps: [{repeat: {times: 1000000, steps: [write]}}]}}]}
              fine:
                params: {n: 1000}
                steps:
                  - repeat: {times: n, steps: [{repeat: {times: n, steps: [write]}}]}
            scenarios:
              - name: x
                mechanisms: [bomb, fine, {name: fine, n: 1001}]
            """;
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(text, "bomb.yaml"));
        Assert.Equal(2, e.Errors.Count);
        Assert.Contains("bomb.yaml:12:18: scenarios[0].mechanisms[0]: design 'bomb' runs up to 1,000,000,000,000,000,000 primitive steps per operation", e.Errors[0].ToString(), StringComparison.Ordinal);
        Assert.Contains("scenarios[0].mechanisms[2]: design 'fine' runs up to 1,002,001 primitive steps per operation (repeats multiplied out); at most 1,000,000", e.Errors[1].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_design_written_in_the_file_runs_like_a_built_in_one_and_every_n_runs_its_steps_on_one_call_in_n()
    {
        var dir = Run("""
            designs:
              flush_every_third:
                steps:
                  - write
                  - every: {n: 3, steps: [flush_tlb_all]}
            """ + "\n" + Scenario.Replace("replications: 1", "replications: 1\n    mechanisms: [flush_every_third]", StringComparison.Ordinal));
        var rows = Summary(dir);
        long ops = long.Parse(rows["flush_every_third"]["ops"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(ops > 30);
        // One operation in three pays a global flush, so p50 is a plain store and p90 a shootdown.
        Assert.True(double.Parse(rows["flush_every_third"]["op_latency_p50_ns"], System.Globalization.CultureInfo.InvariantCulture) < 20);
        Assert.True(double.Parse(rows["flush_every_third"]["op_latency_p90_ns"], System.Globalization.CultureInfo.InvariantCulture) > 1000);
    }

    [Fact]
    public void Entries_of_one_design_with_different_options_run_side_by_side_under_their_own_labels()
    {
        var dir = Run(Scenario.Replace("replications: 1", """
            replications: 1
                mechanism: {alias_flush: lazy}
                mechanisms: [prlist, {name: prlist, prlist_grouping: per_node}, {name: prlist, label: eager_node, prlist_grouping: per_node, alias_flush: eager}]
            """, StringComparison.Ordinal));
        var rows = Summary(dir);
        double P50(string label) => double.Parse(rows[label]["op_latency_p50_ns"], System.Globalization.CultureInfo.InvariantCulture);
        // Lazy vmap aliases cost only their own work: 8 remaps per insertion per field, 2 per node.
        Assert.Equal(4.0, P50("prlist") / P50("prlist_per_node"), 3);
        Assert.True(P50("eager_node") > 3 * P50("prlist_per_node"), $"the eager entry flushes every CPU per remap: {P50("eager_node")} ns against {P50("prlist_per_node")} ns");
        Assert.Equal(["baseline", "prlist", "prlist_per_node", "eager_node"], rows.Keys.ToArray());
    }

    [Fact]
    public void The_resolved_file_of_a_run_with_file_designs_and_entry_options_reruns_to_the_same_bytes()
    {
        var dir = Run("""
            designs:
              batched:
                params: {batch: 4}
                steps:
                  - text_mutex:
                      - irqs_off:
                          - use_temporary_mm
                          - repeat: {times: batch, steps: [write]}
                          - unuse_temporary_mm
            """ + "\n" + Scenario.Replace("replications: 1", "replications: 1\n    mechanisms: [batched, {name: batched, batch: 32}]", StringComparison.Ordinal));
        string again = Path.Combine(dir, "again");
        var error = new StringWriter();
        Assert.True(TlbsimCli.Run(["run", Path.Combine(dir, "resolved.yaml"), "--out", again, "--quiet"], new StringWriter(), error) == 0, error.ToString());
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "summary.csv")), File.ReadAllText(Path.Combine(again, "summary.csv")));
        Assert.Contains("batched_32", File.ReadAllText(Path.Combine(dir, "summary.csv")), StringComparison.Ordinal);
    }
}
