using System.Globalization;
using TlbSim.Analysis;
using TlbSim.Scenarios;
using Xunit;

namespace TlbSim.Tests.Scenarios;

/// <summary>
/// Does a precision target add replications until the interval is tight or the cap is reached, stop at the
/// right count, and give the same bytes whatever the job count, resume or shard?
/// </summary>
public class PrecisionTests
{
    private static readonly string Scenario = Path.Combine(ScenarioLoaderTests.RepoRoot(), "Tests", "Scenarios", "precision.yaml");
    private static readonly string[] Csvs = ["summary.csv", "histograms.csv", "timeseries.csv"];

    private static string Fresh(string name) => Path.Combine(Directory.CreateTempSubdirectory("tlbsim-" + name).FullName, name);

    private static void Run(params string[] args)
    {
        var error = new StringWriter();
        Assert.True(TlbsimCli.Run(args, new StringWriter(), error) == 0, error.ToString());
    }

    private static Dictionary<string, Dictionary<string, string>> Rows(string dir)
    {
        var lines = File.ReadAllLines(Path.Combine(dir, "summary.csv"));
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second))
            .ToDictionary(r => $"{r["scenario"]}/{r["mechanism"]}");
    }

    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    [Fact]
    public void A_precision_target_adds_replications_until_the_interval_is_tight_and_stops_at_the_cap_otherwise()
    {
        string dir = Fresh("precision");
        Run(["run", Scenario, "--out", dir, "--quiet", "--jobs", "2"]);
        var rows = Rows(dir);
        // A constant latency has a zero-width interval at once.
        Assert.Equal("2", rows["settles/baseline"]["replications"]);
        Assert.Equal("true", rows["settles/baseline"]["precision_met"]);
        // An impossible target runs to its cap and says so.
        Assert.Equal("6", rows["never/rare_alloc"]["replications"]);
        Assert.Equal("false", rows["never/rare_alloc"]["precision_met"]);
        // A reachable one stops at the first count (2, 4, 8...) that meets it: met there, not met at half as many.
        var met = rows["rounds/rare_alloc"];
        int reps = int.Parse(met["replications"], CultureInfo.InvariantCulture);
        Assert.True(reps > 2, $"expected at least one extra round, got {reps} replications");
        Assert.Equal("true", met["precision_met"]);
        Assert.True(D(met["op_latency_mean_ci95_ns"]) <= 0.1 * D(met["op_latency_mean_ns"]));
        string half = Fresh("half");
        Run(["run", Scenario, "--only", "rounds", "--out", half, "--quiet", "--replications", (reps / 2).ToString(CultureInfo.InvariantCulture),
            "--set", "precision.relative_ci95=0"]);
        var fewer = Rows(half)["rounds/rare_alloc"];
        Assert.True(D(fewer["op_latency_mean_ci95_ns"]) > 0.1 * D(fewer["op_latency_mean_ns"]), "the target was already met with half the replications");
    }

    [Fact]
    public void Precision_targeted_runs_give_the_same_bytes_for_any_job_count_and_when_sharded_and_merged()
    {
        string one = Fresh("p-one"), four = Fresh("p-four"), s0 = Fresh("p-s0"), s1 = Fresh("p-s1"), merged = Fresh("p-merged");
        Run(["run", Scenario, "--out", one, "--quiet", "--jobs", "1"]);
        Run(["run", Scenario, "--out", four, "--quiet", "--jobs", "4"]);
        Run(["run", Scenario, "--out", s0, "--quiet", "--shard", "0/2"]);
        Run(["run", Scenario, "--out", s1, "--quiet", "--shard", "1/2"]);
        Run(["merge", s0, s1, "--out", merged]);
        foreach (var f in Csvs)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(one, f)), File.ReadAllBytes(Path.Combine(four, f)));
            Assert.Equal(File.ReadAllBytes(Path.Combine(one, f)), File.ReadAllBytes(Path.Combine(merged, f)));
        }
    }

    [Fact]
    public void A_precision_targeted_run_interrupted_between_rounds_resumes_to_the_same_bytes()
    {
        string whole = Fresh("p-whole"), cut = Fresh("p-cut");
        Run(["run", Scenario, "--out", whole, "--quiet", "--jobs", "2"]);
        // Cancel as soon as the second round starts: the first round's runs are in the journal.
        using var cancel = new CancellationTokenSource();
        var watcher = new CancelOnText("precision round 1", cancel);
        var options = new TlbSim.Scenarios.Cli.RunOptions { File = Scenario, Out = cut, Jobs = 1 };
        Assert.Equal(TlbSim.Scenarios.Cli.RunCommand.Interrupted, TlbSim.Scenarios.Cli.RunCommand.Execute(options, watcher, new StringWriter(), cancel.Token));
        Assert.False(File.Exists(Path.Combine(cut, "summary.csv")));
        Run(["run", "--resume", cut, "--quiet"]);
        foreach (var f in Csvs)
            Assert.Equal(File.ReadAllBytes(Path.Combine(whole, f)), File.ReadAllBytes(Path.Combine(cut, f)));
    }

    private sealed class CancelOnText(string text, CancellationTokenSource cancel) : StringWriter(CultureInfo.InvariantCulture)
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.Contains(text, StringComparison.Ordinal) == true)
                cancel.Cancel();
        }
    }
}

/// <summary>Can a slowdown be asked against any point of the same sweep, not only against baseline?</summary>
public class CompareReferenceTests
{
    [Fact]
    public void Compare_reference_gives_each_point_its_slowdown_against_the_reference_point_of_its_sweep()
    {
        string scenario = Path.Combine(Directory.CreateTempSubdirectory("tlbsim-ref").FullName, "ref.yaml");
        File.WriteAllText(scenario, "scenarios:\n  - name: fourk\n    machine: {preset: skylake_sp_2s, cpus: 8}\n    workload: {preset: kernel_build}\n"
            + "    mechanisms: [baseline]\n    duration: 5ms\n    warmup: 1ms\n    compare_reference: [kernel.force4k_direct_map=false]\n"
            + "    sweep:\n      kernel.force4k_direct_map: [false, true]\n");
        string dir = Path.Combine(Path.GetDirectoryName(scenario)!, "out");
        var error = new StringWriter();
        Assert.True(TlbsimCli.Run(["run", scenario, "--out", dir, "--quiet"], new StringWriter(), error) == 0, error.ToString());
        var lines = File.ReadAllLines(Path.Combine(dir, "summary.csv"));
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second)).ToList();
        var reference = rows.Single(r => r["kernel.force4k_direct_map"] == "false");
        var fourK = rows.Single(r => r["kernel.force4k_direct_map"] == "true");
        Assert.Equal("1", reference["workload_slowdown_vs_reference"]);
        // A 4K direct map costs the build translation misses: its work rate is lower than at the reference.
        Assert.True(double.Parse(fourK["workload_slowdown_vs_reference"], CultureInfo.InvariantCulture) > 1.0);
        Assert.True(double.Parse(fourK["kernel_time_slowdown_vs_reference"], CultureInfo.InvariantCulture) > 1.0);
    }
}
