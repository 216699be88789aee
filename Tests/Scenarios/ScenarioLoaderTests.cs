using TlbSim.Model.Linux;
using TlbSim.Model.Units;
using TlbSim.Scenarios;
using TlbSim.Scenarios.Cli;
using TlbSim.Scenarios.Loading;
using Xunit;

namespace TlbSim.Tests.Scenarios;

/// <summary>Does the loader turn scenario text into settings exactly, and every kind of bad input into located errors with exit code 2?</summary>
public class ScenarioLoaderTests
{
    private const string Good = """
        defaults:
          machine: { preset: skylake_sp_2s }
          duration: 5ms
        scenarios:
          - name: one
            machine:
              cpus: 16
              tlb: { stlb_entries: 2048, stlb_ways: 16 }
            kernel: { policy: early_ack }
            mechanisms: [baseline, xpfo]
            sweep:
              operations.rate: {from: 1000, to: 8000, factor: 2}
              workload.busy_fraction: [0.5, 1]
        """;

    [Fact]
    public void A_valid_file_binds_presets_overrides_units_and_the_sweep_cross_product()
    {
        var file = ScenarioLoader.Parse(Good, "good.yaml");
        var s = Assert.Single(file.Scenarios);
        Assert.Equal(8, s.Points.Count); // 4 rates x 2 busy fractions
        var p = s.Points[5].Settings;
        Assert.Equal(16, p.Machine.Topology.Cpus);
        Assert.Equal(2048, p.Machine.Tlb.StlbEntries);
        Assert.Equal(Frequency.Parse("2.5GHz"), p.Machine.Cpu.Frequency); // from the preset
        Assert.Equal(FlushPolicy.EarlyAck, p.Kernel.Policy);
        Assert.Equal(Duration.Parse("5ms"), p.Duration);
        Assert.Equal(4000, p.Operations.Rate);
        Assert.Equal(1.0, p.Workload.BusyFraction);
        Assert.Equal(["baseline", "xpfo"], p.Mechanisms.Select(m => m.Label));
    }

    [Fact]
    public void A_set_override_applies_to_every_scenario_and_wins_over_the_file()
    {
        var file = ScenarioLoader.Parse(Good, "good.yaml", ["machine.cpus=64", "duration=1ms"]);
        Assert.All(file.Scenarios[0].Points, p => Assert.Equal(64, p.Settings.Machine.Topology.Cpus));
        Assert.All(file.Scenarios[0].Points, p => Assert.Equal(Duration.Parse("1ms"), p.Settings.Duration));
    }

    [Theory]
    [InlineData("scenarios:\n  - name: x\n    machine: {preset: [\n", "bad.yaml:4:1", "YAML syntax error")]
    [InlineData("scenarios:\n  - name: x\n    kernal: {}\n", "bad.yaml:3:5", "unknown key 'kernal' (did you mean 'kernel'?)")]
    [InlineData("scenarios:\n  - name: x\n    replications: many\n", "bad.yaml:3:19", "replications: 'many' is not a whole number")]
    [InlineData("scenarios:\n  - name: x\n    machine: 4\n", "bad.yaml:3:14", "machine: expected a mapping")]
    [InlineData("scenarios:\n  - name: x\n    duration: 5 parsecs\n", "bad.yaml:3:15", "unknown unit 'parsecs'")]
    [InlineData("scenarios:\n  - name: x\n    workload: {busy_fraction: 2}\n", "bad.yaml:3:31", "workload.busy_fraction: must be between 0 and 1 (was 2)")]
    [InlineData("scenarios:\n  - name: x\n    duration: 0s\n", "bad.yaml:3:15", "duration: must be greater than zero")]
    [InlineData("scenarios:\n  - name: x\n    sweep: {operations.rate: []}\n", "bad.yaml:3:30", "empty sweep")]
    [InlineData("scenarios:\n  - name: x\n    workload: {preset: kernel_bild}\n", "bad.yaml:3:24", "unknown workload preset 'kernel_bild' (did you mean 'kernel_build'?)")]
    [InlineData("scenarios:\n  - name: x\n    mechanisms: [tempory_mm]\n", "bad.yaml:3:18", "unknown design 'tempory_mm' (did you mean 'temporary_mm'?)")]
    [InlineData("scenarios:\n  - name: x\n    machine: {cpus: 0}\n", "bad.yaml:3:21", "0 CPUs cannot be laid out")]
    [InlineData("scenarios:\n  - name: x\n    machine: {cpus: 100000}\n", "bad.yaml:3:21", "tlbsim models at most 4096")]
    [InlineData("scenarios:\n  - name: x\n    operations: {rate: NaN}\n", "bad.yaml:3:24", "is not a finite number")]
    [InlineData("scenarios:\n  - name: x\n  - name: x\n", "bad.yaml:3:11", "duplicate scenario name 'x'")]
    [InlineData("presets:\n  machine:\n    a: {preset: b}\n    b: {preset: a}\nscenarios:\n  - name: x\n    machine: {preset: a}\n", "bad.yaml:", "refers to itself")]
    [InlineData("scenarios: []\n", "bad.yaml:1:12", "nothing to run")]
    [InlineData("scenarios:\n  - name: x\n    kernel: {preset: fast}\n", "bad.yaml:3:14", "unknown key 'preset'")]
    [InlineData("scenarios:\n  - name: x\n    machine: {cpus: 8, topology: {sockets: 0}}\n", "bad.yaml:3:44", "sockets: must be at least 1")]
    [InlineData("scenarios:\n  - name: x\n    machine: haswell_desktop\n    sweep: {machine.cpus: [8]}\n", "bad.yaml:4:28", "'machine' holds a single value")]
    [InlineData("scenarios:\n  - name: x\n    description: \"a\\x01b\"\n", "bad.yaml:3:18", "control characters")]
    public void Every_class_of_bad_input_gives_a_located_message(string text, string location, string message)
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(text, "bad.yaml"));
        Assert.Contains(e.Errors, err => err.ToString().StartsWith(location, StringComparison.Ordinal) && err.ToString().Contains(message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("    sweep: {machine.preset: [haswell_desktop, ivybridge_desktop]}\n")]
    [InlineData("    machine: {preset: skylake_sp_2s, cpus: 8}\n    sweep: {machine.topology.threads_per_core: [1, 2]}\n")]
    [InlineData("    machine: {cpus: 16}\n    sweep: {operations.rate: [100, 200], workload.busy_fraction: [0.5]}\n")]
    public void The_resolved_file_loads_back_to_the_same_settings_at_every_sweep_point(string body)
    {
        var original = ScenarioLoader.Parse($"scenarios:\n  - name: x\n{body}", "o.yaml");
        var resolved = TlbSim.Scenarios.Running.ResolvedYaml.Write(original, null, null, null);
        var again = ScenarioLoader.Parse(resolved, "resolved.yaml");
        var a = original.Scenarios[0].Points;
        var b = again.Scenarios[0].Points;
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Settings.Machine, b[i].Settings.Machine with { Cpu = b[i].Settings.Machine.Cpu with { IdleStates = a[i].Settings.Machine.Cpu.IdleStates } });
            Assert.Equal(a[i].Settings.Machine.Cpu.IdleStates, b[i].Settings.Machine.Cpu.IdleStates);
            Assert.Equal(a[i].Settings.Operations, b[i].Settings.Operations);
            Assert.Equal(a[i].Settings.Workload with { Access = b[i].Settings.Workload.Access }, b[i].Settings.Workload);
        }
    }

    [Fact]
    public void Ranges_give_exact_decimal_values_and_include_a_negative_end()
    {
        var file = ScenarioLoader.Parse("scenarios:\n  - name: x\n    sweep: {workload.busy_fraction: {from: 0.1, to: 1, step: 0.1}}\n", "r.yaml");
        Assert.Equal(["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1"], file.Scenarios[0].Axes[0].Values);
    }

    [Fact]
    public void All_errors_are_reported_at_once_in_file_order()
    {
        const string text = "scenarios:\n  - name: x\n    duraton: 5ms\n    kernel: {policy: eager}\n    workload: {busy_fraction: -1}\n";
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(text, "bad.yaml"));
        Assert.Equal(3, e.Errors.Count);
        Assert.Equal([3, 4, 5], e.Errors.Select(x => x.Location.Line));
    }

    [Fact]
    public void The_check_command_exits_2_with_located_errors_and_0_for_a_good_file()
    {
        string dir = Directory.CreateTempSubdirectory("tlbsim-check").FullName;
        File.WriteAllText(Path.Combine(dir, "good.yaml"), Good);
        File.WriteAllText(Path.Combine(dir, "bad.yaml"), "scenarios:\n  - name: x\n    kernal: {}\n");
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(0, TlbsimCli.Run(["check", Path.Combine(dir, "good.yaml")], output, error));
        Assert.Equal(2, TlbsimCli.Run(["check", Path.Combine(dir, "bad.yaml")], output, error));
        Assert.Contains("bad.yaml:3:5: scenarios[0].kernal: unknown key 'kernal'", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, TlbsimCli.Run(["check", Path.Combine(dir, "missing.yaml")], output, error));
        Assert.Equal(2, TlbsimCli.Run(["check", "--set", "nonsense", Path.Combine(dir, "good.yaml")], output, error));
        Assert.Equal(2, TlbsimCli.Run(["frobnicate"], output, error));
    }

    [Fact]
    public void Describe_prints_every_parameter_with_its_default_unit_and_source()
    {
        var text = Describe.Text(null)!;
        foreach (var path in ScenarioLoader.AllPaths().Where(p => p is not ("machine.cpus" or "machine.preset" or "workload.preset")))
            Assert.Contains($"  {path} = ", text, StringComparison.Ordinal);
        Assert.Contains("machine.tlb.invlpg = 100ns [duration]", text, StringComparison.Ordinal);
        Assert.Contains("each single flush is about 100 ns", text, StringComparison.Ordinal);
        Assert.Contains("  xpfo [C# class]: ", text, StringComparison.Ordinal);
        Assert.Contains("  rare_alloc [designs.yaml]: alloc_pages(count=rare_alloc_pages); vmap_pages_range(pages=rare_alloc_pages); write; set_memory_ro(pages=rare_alloc_pages, address=vmalloc)", text, StringComparison.Ordinal);
        Assert.Contains("  set_memory_ro(pages = 1, address = direct_map (direct_map|vmalloc)) -> set_memory_ro (change_page_attr_set_clr)", text, StringComparison.Ordinal);
        Assert.Contains("machine ivybridge_desktop: 4 CPUs", text, StringComparison.Ordinal);
        Assert.Null(Describe.Text("no_such_thing"));
    }

    [Fact]
    public void The_committed_JSON_schema_is_the_one_the_declarations_generate()
    {
        string committed = File.ReadAllText(Path.Combine(RepoRoot(), "tlbsim.schema.json"));
        Assert.Equal(Schema.Json(), committed);
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sim.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Sim.sln not found above the test binaries");
    }
}
