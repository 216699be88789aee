using System.Diagnostics;
using TlbSim.Scenarios;
using Xunit;

namespace TlbSim.Tests.Scenarios;

/// <summary>
/// Nothing lost, nothing half-written: does a killed run leave no folder that looks complete, resume to the
/// same bytes as an uninterrupted run, and do shards merge into the unsharded result?
/// </summary>
public class InterruptAndShardTests
{
    private static readonly string Scenario = Path.Combine(ScenarioLoaderTests.RepoRoot(), "Tests", "Output", "golden.yaml");
    private static readonly string[] Slow = ["--set", "duration=15ms"];
    private static readonly string[] Csvs = ["summary.csv", "histograms.csv", "timeseries.csv"];

    private static string Fresh(string name) => Path.Combine(Directory.CreateTempSubdirectory("tlbsim-" + name).FullName, name);

    private static void Run(params string[] args)
    {
        var error = new StringWriter();
        int code = TlbsimCli.Run(args, new StringWriter(), error);
        Assert.True(code == 0, error.ToString());
    }

    private static void AssertSameCsv(string expected, string actual)
    {
        foreach (var f in Csvs)
            Assert.Equal(File.ReadAllBytes(Path.Combine(expected, f)), File.ReadAllBytes(Path.Combine(actual, f)));
    }

    [Theory]
    [InlineData("KILL")]
    [InlineData("INT")]
    public void A_killed_or_interrupted_run_leaves_no_complete_looking_folder_and_resumes_to_the_same_bytes(string signal)
    {
        string whole = Fresh("whole");
        Run(["run", Scenario, "--out", whole, "--jobs", "2", "--quiet", .. Slow]);

        string killed = Fresh("killed");
        string partial = Path.Combine(Path.GetDirectoryName(killed)!, ".killed.partial");
        var tlbsim = Path.Combine(AppContext.BaseDirectory, "tlbsim.dll");
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { tlbsim, "run", Scenario, "--out", killed, "--jobs", "1", "--quiet" }.Concat(Slow))
            psi.ArgumentList.Add(a);
        using (var child = Process.Start(psi)!)
        {
            var journal = Path.Combine(partial, "journal");
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && !(Directory.Exists(journal) && Directory.GetFiles(journal, "0*.json").Length >= 3) && !child.HasExited)
                Thread.Sleep(20);
            Assert.False(child.HasExited, "the run finished before it could be killed; make it slower");
            if (signal == "KILL")
            {
                child.Kill(entireProcessTree: true);
                child.WaitForExit();
            }
            else
            {
                // Ctrl-C, then impatient repeats and a SIGTERM: the first stops the runs in progress at once, keeps
                // the journal and says so; the others are acknowledged, never a crash; exit 130.
                var said = new System.Text.StringBuilder();
                child.ErrorDataReceived += (_, e) =>
                {
                    lock (said)
                        said.AppendLine(e.Data);
                };
                child.BeginErrorReadLine();
                foreach (var sig in new[] { "-INT", "-INT", "-TERM" })
                {
                    using var kill = Process.Start("kill", [sig, child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                    kill.WaitForExit();
                }
                Assert.True(child.WaitForExit(30_000), "tlbsim did not stop after SIGINT");
                Assert.Equal(TlbSim.Scenarios.Cli.RunCommand.Interrupted, child.ExitCode);
                child.WaitForExit();
                string text;
                lock (said)
                    text = said.ToString();
                Assert.Contains("stopping: finishing nothing more", text, StringComparison.Ordinal);
                Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
            }
        }
        Assert.False(Directory.Exists(killed), "a killed run must not leave a folder that looks complete");
        Assert.True(Directory.Exists(partial));
        Assert.False(File.Exists(Path.Combine(partial, "run.json")));

        Run("run", "--resume", killed, "--quiet", "--jobs", "2");
        AssertSameCsv(whole, killed);
        Assert.False(Directory.Exists(partial));
    }

    [Fact]
    public void Shards_merge_into_the_result_of_the_unsharded_run()
    {
        string whole = Fresh("unsharded");
        Run("run", Scenario, "--out", whole, "--jobs", "2", "--quiet");
        var shards = Enumerable.Range(0, 3).Select(i =>
        {
            string dir = Fresh($"shard{i}");
            Run("run", Scenario, "--out", dir, "--shard", $"{i}/3", "--quiet", "--jobs", "1");
            return dir;
        }).ToArray();
        string merged = Fresh("merged");
        Run(["merge", .. shards, "--out", merged]);
        AssertSameCsv(whole, merged);
        var error = new StringWriter();
        Assert.Equal(2, TlbsimCli.Run(["merge", shards[0], shards[1], "--out", Fresh("incomplete")], new StringWriter(), error));
        Assert.Contains("missing shards 2/3", error.ToString(), StringComparison.Ordinal);
    }
}
