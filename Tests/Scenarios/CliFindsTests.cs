using TlbSim.Scenarios.Cli;
using TlbSim.Scenarios.Loading;
using Xunit;

namespace TlbSim.Tests.Scenarios;

/// <summary>Does the command line find what a user looks for, by the names the README uses?</summary>
public class CliFindsTests
{
    [Fact]
    public void Describe_finds_machine_cpus_and_searches_every_entry_for_a_keyword()
    {
        Assert.Contains("machine.cpus", Describe.Text("machine.cpus"), StringComparison.Ordinal);
        var ipi = Describe.Text("ipi")!;
        Assert.Contains("machine.apic.icr_write", ipi, StringComparison.Ordinal);
        Assert.Contains("kernel.policy", ipi, StringComparison.Ordinal);
        Assert.Null(Describe.Text("no-such-thing-anywhere"));
    }

    [Fact]
    public void Set_on_a_swept_key_pins_it_instead_of_being_ignored()
    {
        var file = ScenarioLoader.Parse("scenarios:\n  - name: x\n    sweep:\n      machine.cpus: [4, 16, 64]\n", "s.yaml", ["machine.cpus=8"]);
        var point = Assert.Single(file.Scenarios[0].Points);
        Assert.Equal(8, point.Settings.Machine.Topology.Cpus);
    }

    [Fact]
    public void Set_takes_list_valued_parameters_in_YAML_flow_style()
    {
        var file = ScenarioLoader.Parse("scenarios:\n  - name: x\n", "s.yaml",
            ["machine.cpu.idle_states=[{name: POLL, exit_latency: 0ns, target_residency: 0ns, polling: true}, {name: C1, exit_latency: 1us, target_residency: 1us}]"]);
        var states = file.Scenarios[0].Points[0].Settings.Machine.Cpu.IdleStates;
        Assert.Equal(["POLL", "C1"], states.Select(s => s.Name));
        Assert.True(states[0].Polling);
        var bad = Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse("scenarios:\n  - name: x\n", "s.yaml", ["machine.cpu.idle_states=[{name: C1"]));
        Assert.Contains("not YAML", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_file_the_README_cites_is_in_the_repository()
    {
        string root = ScenarioLoaderTests.RepoRoot();
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(readme, @"`((?:docs|examples|bench)/[\w./-]+\.(?:md|yaml|svg|sh))`"))
            Assert.True(File.Exists(Path.Combine(root, m.Groups[1].Value)), $"README cites {m.Groups[1].Value}, which is not in the repository");
        Assert.True(File.Exists(Path.Combine(root, "docs", "CALIBRATION.md")));
    }
}
