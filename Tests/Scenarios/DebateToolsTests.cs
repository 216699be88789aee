using TlbSim.Scenarios;
using Xunit;

namespace TlbSim.Tests.Scenarios;

/// <summary>
/// Do the debate tools answer their questions: does sensitivity find the inputs that move a design's figure
/// (and only those), and does crossover bracket where two designs, or a design and a budget, cross? Each
/// reproduces the output it gave when it was last reviewed (examples/golden).
/// </summary>
public class DebateToolsTests
{
    private static readonly string Examples = Path.Combine(ScenarioLoaderTests.RepoRoot(), "examples");

    private static string Temp() => Path.Combine(Directory.CreateTempSubdirectory("tlbsim-debate").FullName, "out");

    private static void Golden(string name, string actual)
    {
        string golden = Path.Combine(Examples, "golden", name);
        if (Environment.GetEnvironmentVariable("TLBSIM_UPDATE_GOLDEN") == "1")
            File.WriteAllText(golden, actual);
        Assert.True(File.Exists(golden), $"no golden {name}: run the tests with TLBSIM_UPDATE_GOLDEN=1 once, and review it");
        Assert.Equal(File.ReadAllText(golden), actual);
    }

    [Fact]
    public void Sensitivity_finds_that_WRPKRU_cycles_move_pku_and_nothing_else_and_reproduces_its_golden_table()
    {
        string dir = Temp();
        var output = new StringWriter();
        var error = new StringWriter();
        int code = TlbsimCli.Run(["sensitivity", Path.Combine(Examples, "sensitivity.yaml"), "--metric", "op_latency_p50_ns", "--input", "mechanism.wrpkru_cycles", "--input", "kernel.csd_per_target",
            "--set", "duration=5ms", "--set", "replications=2", "--out", dir, "--jobs", "2"], output, error);
        Assert.True(code == 0, error.ToString());
        var rows = File.ReadAllLines(Path.Combine(dir, "sensitivity.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        double Swing(string input, string mechanism) => double.Parse(rows.Single(r => r[0] == input && r[5] == mechanism)[10], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Swing("mechanism.wrpkru_cycles", "pku") > 50, "89 more cycles per WRPKRU pair moves pku's median by tens of ns");
        Assert.Equal(0, Swing("mechanism.wrpkru_cycles", "temporary_mm"));
        Assert.Equal(0, Swing("mechanism.wrpkru_cycles", "rare_alloc"));
        Assert.Equal(0, Swing("kernel.csd_per_target", "pku")); // no shootdown on pku's median path
        Assert.Contains("the ranking of the designs", output.ToString(), StringComparison.Ordinal);
        Assert.True(new FileInfo(Path.Combine(dir, "tornado-write_rare-0-pku.png")).Length > 5000);
        Golden("sensitivity.sensitivity.csv", File.ReadAllText(Path.Combine(dir, "sensitivity.csv")));
    }

    [Fact]
    public void A_Morris_screening_gives_WRPKRU_cycles_an_elementary_effect_on_pku_and_none_on_temporary_mm()
    {
        string dir = Temp();
        var error = new StringWriter();
        int code = TlbsimCli.Run(["sensitivity", Path.Combine(Examples, "sensitivity.yaml"), "--metric", "op_latency_mean_ns", "--input", "mechanism.wrpkru_cycles", "--input", "mechanism.write",
            "--morris", "2", "--set", "duration=2ms", "--set", "replications=1", "--set", "machine.cpus=8", "--out", dir, "--jobs", "2"], new StringWriter(), error);
        Assert.True(code == 0, error.ToString());
        var rows = File.ReadAllLines(Path.Combine(dir, "morris.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        double MuStar(string input, string mechanism) => double.Parse(rows.Single(r => r[0] == input && r[5] == mechanism)[7], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("2", rows.First(r => r[0] == "mechanism.wrpkru_cycles" && r[5] == "pku")[6]); // one effect per trajectory
        Assert.True(MuStar("mechanism.wrpkru_cycles", "pku") > 10, "89 cycles more per WRPKRU pair: tens of ns per write");
        Assert.Equal(0, MuStar("mechanism.wrpkru_cycles", "temporary_mm"));
        Assert.True(MuStar("mechanism.write", "temporary_mm") > 10, "temporary_mm's write and PTE stores are all priced by mechanism.write");
    }

    [Fact]
    public void Crossover_brackets_the_crossing_of_a_design_with_a_budget_and_of_two_designs()
    {
        string dir = Temp();
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.True(TlbsimCli.Run(["crossover", Path.Combine(Examples, "crossover.yaml"), "--out", dir, "--jobs", "2"], output, error) == 0, error.ToString());
        string text = output.ToString();
        Assert.Contains("rare_alloc_budget: rare_alloc and the budget 10000 cross on op_latency_p50_ns between machine.cpus=", text, StringComparison.Ordinal);
        Assert.Contains("pku_vs_temporary_mm: pku and temporary_mm cross on op_latency_mean_ns between mechanism.pku_tag_every=", text, StringComparison.Ordinal);
        Golden("crossover.crossover.csv", File.ReadAllText(Path.Combine(dir, "crossover.csv")));
    }

    [Fact]
    public void Crossover_says_so_when_two_designs_do_not_cross_in_the_range()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        string file = Path.Combine(Directory.CreateTempSubdirectory("tlbsim-debate").FullName, "x.yaml");
        File.WriteAllText(file, """
            scenarios:
              - name: pku_vs_temporary_mm
                machine: {preset: skylake_sp_2s, cpus: 8}
                mechanisms: [pku, temporary_mm]
                operations: {rate: 20000}
                duration: 2ms
                warmup: 1ms
                crossover: {a: pku, b: temporary_mm, metric: op_latency_mean_ns, along: mechanism.pku_tag_every, from: 256, to: 1024, max_replications: 4}
            """);
        Assert.True(TlbsimCli.Run(["crossover", file, "--out", Temp(), "--jobs", "2"], output, error) == 0, error.ToString());
        Assert.Contains("pku_vs_temporary_mm: no crossing in [256, 1024]: pku stays below temporary_mm", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Crossover_along_a_duration_takes_and_reports_it_in_its_unit()
    {
        // temporary_mm's median is 116 ns plus three stores (set_pte, the write, pte_clear) priced by mechanism.write:
        // it passes 200 ns near write = 28 ns.
        string file = Path.Combine(Directory.CreateTempSubdirectory("tlbsim-debate").FullName, "d.yaml");
        File.WriteAllText(file, """
            scenarios:
              - name: store_cost
                machine: {preset: skylake_sp_2s, cpus: 8}
                mechanisms: [temporary_mm]
                operations: {rate: 20000}
                duration: 2ms
                warmup: 1ms
                crossover: {a: temporary_mm, b: 200, metric: op_latency_p50_ns, along: mechanism.write, from: 5ns, to: 50ns, max_replications: 4}
            """);
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.True(TlbsimCli.Run(["crossover", file, "--out", Temp(), "--jobs", "2"], output, error) == 0, error.ToString());
        var m = System.Text.RegularExpressions.Regex.Match(output.ToString(), @"between mechanism.write=([0-9.]+)ns \(temporary_mm below\) and ([0-9.]+)ns");
        Assert.True(m.Success, output.ToString());
        double lo = double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), hi = double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(lo, 25, 28.1);
        Assert.InRange(hi, 28, 31);
    }

    [Fact]
    public void A_crossover_whose_range_leaves_the_valid_values_is_refused_before_any_run()
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("tlbsim-debate").FullName, "bad.yaml");
        File.WriteAllText(file, """
            scenarios:
              - name: x
                mechanisms: [pku, temporary_mm]
                crossover: {a: pku, b: temporary_mm, along: machine.cpus, from: 0, to: 64}
              - name: y
                mechanisms: [pku]
                crossover: {a: pku, b: pku, along: mechanism.wrpkru_cycle, from: 1, to: 2}
            """);
        var error = new StringWriter();
        Assert.Equal(2, TlbsimCli.Run(["crossover", file, "--out", Temp()], new StringWriter(), error));
        string text = error.ToString();
        Assert.Contains("crossover.b: the same as a", text, StringComparison.Ordinal);
        Assert.Contains("'mechanism.wrpkru_cycle' is not a numeric parameter path (did you mean 'mechanism.wrpkru_cycles'?)", text, StringComparison.Ordinal);
        File.WriteAllText(file, """
            scenarios:
              - name: x
                mechanisms: [pku, temporary_mm]
                crossover: {a: pku, b: temporary_mm, along: machine.cpus, from: 0, to: 64}
            """);
        error = new StringWriter();
        Assert.Equal(2, TlbsimCli.Run(["crossover", file, "--out", Temp()], new StringWriter(), error));
        Assert.Contains("with machine.cpus at crossover end 0 of scenario x", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_questions_are_refused_with_exit_2_and_a_suggestion()
    {
        var error = new StringWriter();
        Assert.Equal(2, TlbsimCli.Run(["sensitivity", Path.Combine(Examples, "sensitivity.yaml"), "--metric", "op_latency_p99_nss"], new StringWriter(), error));
        Assert.Contains("did you mean 'op_latency_p99_ns'?", error.ToString(), StringComparison.Ordinal);
        error = new StringWriter();
        Assert.Equal(2, TlbsimCli.Run(["sensitivity", Path.Combine(Examples, "sensitivity.yaml"), "--input", "kernel.csd_per_targets"], new StringWriter(), error));
        Assert.Contains("did you mean 'kernel.csd_per_target'?", error.ToString(), StringComparison.Ordinal);
        error = new StringWriter();
        Assert.Equal(2, TlbsimCli.Run(["crossover", Path.Combine(Examples, "crossover.yaml"), "--set", "crossover.a=rare_aloc"], new StringWriter(), error));
        Assert.Contains("'rare_aloc' is not among this scenario's mechanisms", error.ToString(), StringComparison.Ordinal);
        error = new StringWriter();
        Assert.Equal(2, TlbsimCli.Run(["sensitivity", Path.Combine(Examples, "sensitivity.yaml"), "--morris", "-3"], new StringWriter(), error));
        Assert.Contains("--morris -3: from 0", error.ToString(), StringComparison.Ordinal);
    }
}

/// <summary>Is every plausible range usable: both ends load and validate on the default scenario?</summary>
public class RangedInputTests
{
    [Fact]
    public void Both_ends_of_every_ranged_input_are_valid_values_on_the_default_scenario()
    {
        var inputs = TlbSim.Scenarios.Cli.SensitivityCommand.RangedInputs();
        Assert.True(inputs.Count >= 25, $"only {inputs.Count} ranged inputs");
        foreach (var input in inputs)
        {
            foreach (var end in new[] { input.Low, input.High })
            {
                var e = Record.Exception(() => TlbSim.Scenarios.Loading.ScenarioLoader.Parse("scenarios:\n  - name: x\n", "x.yaml", [$"{input.Path}={end}"]));
                Assert.True(e is null, $"{input.Path}={end}: {e?.Message}");
            }
            Assert.Contains("plausible", input.Source, StringComparison.Ordinal);
        }
    }
}
