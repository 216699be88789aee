using System.Diagnostics;
using System.Text.RegularExpressions;
using TlbSim.Scenarios;
using Xunit;

namespace TlbSim.Tests.Scenarios;

/// <summary>
/// Do the cluster recipes of docs/cluster.md run as written, and merge into the unsharded result? Slurm runs
/// as a single node on this machine (slurmctld and slurmd on localhost, munge for authentication); GNU parallel
/// runs its "hosts" locally. A missing tool skips the test with the Debian package to install, except under
/// TLBSIM_REQUIRE_EXTERNAL=1 (.ci/run), where it fails with the same reason.
/// </summary>
public class ClusterTests
{
    private static readonly string Doc = File.ReadAllText(Path.Combine(ScenarioLoaderTests.RepoRoot(), "docs", "cluster.md"));
    private static readonly string[] Csvs = ["summary.csv", "histograms.csv", "timeseries.csv"];

    /// <summary>The bash blocks of the doc's section <paramref name="heading"/>, in order.</summary>
    private static List<string> Blocks(string heading)
    {
        int start = Doc.IndexOf(heading, StringComparison.Ordinal);
        int end = Doc.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        string section = Doc[start..(end < 0 ? Doc.Length : end)];
        return Regex.Matches(section, "```bash\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
    }

    /// <summary>A clone-like working folder: a ./tlbsim that runs this build, and a small scenarios.yaml.</summary>
    private static (string Dir, string Whole) Workdir(string name)
    {
        string dir = Directory.CreateTempSubdirectory("tlbsim-" + name).FullName;
        File.Copy(Path.Combine(ScenarioLoaderTests.RepoRoot(), "Tests", "Output", "golden.yaml"), Path.Combine(dir, "scenarios.yaml"));
        string script = Path.Combine(dir, "tlbsim");
        File.WriteAllText(script, $"#!/usr/bin/env bash\nexec dotnet {Path.Combine(AppContext.BaseDirectory, "tlbsim.dll")} \"$@\"\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string whole = Path.Combine(dir, "whole");
        var error = new StringWriter();
        Assert.True(TlbsimCli.Run(["run", Path.Combine(dir, "scenarios.yaml"), "--out", whole, "--quiet"], new StringWriter(), error) == 0, error.ToString());
        return (dir, whole);
    }

    private static string? Which(string tool) => NeedsProgramsFactAttribute.Find(tool);

    private static (int Code, string Output) Bash(string script, string dir, Dictionary<string, string> env, int timeoutMs = 120_000)
    {
        var psi = new ProcessStartInfo("bash", ["-c", script]) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (k, v) in env)
            psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            return (-1, "timed out");
        }
        p.WaitForExit();
        return (p.ExitCode, output.GetAwaiter().GetResult() + error.GetAwaiter().GetResult());
    }

    private static void AssertSameCsv(string expected, string actual)
    {
        foreach (var f in Csvs)
            Assert.Equal(File.ReadAllBytes(Path.Combine(expected, f)), File.ReadAllBytes(Path.Combine(actual, f)));
    }

    [NeedsProgramsFact("parallel", "parallel")]
    public void The_GNU_parallel_recipe_runs_as_written_and_merges_into_the_unsharded_result()
    {
        Assert.True(Which("parallel") is not null, "GNU parallel is not installed (.ci/run installs it: apt-get install parallel)");
        var (dir, whole) = Workdir("parallel");
        File.WriteAllText(Path.Combine(dir, "hosts.txt"), ":\n"); // ':' is this machine
        var (code, output) = Bash(Blocks("## GNU parallel over hosts").Single(), dir, new() { ["TLBSIM_DIR"] = dir });
        Assert.True(code == 0, output);
        AssertSameCsv(whole, Path.Combine(dir, "results", "merged"));
    }

    [NeedsProgramsFact("slurm-wlm munge", "slurmctld", "slurmd", "sbatch", "sinfo", "munged", "munge", AsRoot = true)]
    public void The_Slurm_job_array_recipe_runs_on_a_single_node_Slurm_and_merges_into_the_unsharded_result()
    {
        foreach (var tool in new[] { "slurmctld", "slurmd", "sbatch", "sinfo", "munged", "munge" })
            Assert.True(Which(tool) is not null, $"{tool} is not installed (.ci/run installs slurm-wlm and munge)");
        Assert.True(Environment.UserName == "root", "slurmd must run as root to start jobs; run the tests as root (as .ci/run does on a fresh machine)");
        var (dir, whole) = Workdir("slurm");
        string conf = Path.Combine(dir, "slurm.conf");
        int port = 17000 + Environment.ProcessId % 1000 * 2;
        Directory.CreateDirectory(Path.Combine(dir, "state"));
        Directory.CreateDirectory(Path.Combine(dir, "spool"));
        File.WriteAllText(conf, string.Join("\n",
            "ClusterName=tlbsimtest", "SlurmctldHost=localhost(127.0.0.1)", $"SlurmctldPort={port}", $"SlurmdPort={port + 1}", "SlurmUser=root", "SlurmdUser=root",
            "AuthType=auth/munge", $"StateSaveLocation={dir}/state", $"SlurmdSpoolDir={dir}/spool", $"SlurmctldPidFile={dir}/slurmctld.pid",
            $"SlurmdPidFile={dir}/slurmd.pid", $"SlurmctldLogFile={dir}/slurmctld.log", $"SlurmdLogFile={dir}/slurmd.log",
            "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none", "SelectType=select/cons_tres", "SelectTypeParameters=CR_CPU",
            "JobAcctGatherType=jobacct_gather/none", "MpiDefault=none", "ReturnToService=2", "SlurmdParameters=config_overrides",
            // The doc's tasks ask for 8 CPUs; the node says it has 8 (config_overrides), whatever this machine has.
            // localhost by address, so nothing depends on how this machine's hostname resolves.
            "NodeName=localhost NodeAddr=127.0.0.1 CPUs=8 State=UNKNOWN", "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP", ""));
        var env = new Dictionary<string, string> { ["SLURM_CONF"] = conf, ["TLBSIM_DIR"] = dir };
        try
        {
            // munge authenticates Slurm's daemons and clients: start it unless it already runs.
            var (munge, why) = Bash("munge -n >/dev/null 2>&1 || { mkdir -p /run/munge /var/log/munge /var/lib/munge; [ -f /etc/munge/munge.key ] || "
                + "{ mkdir -p /etc/munge; dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; }; "
                + "chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null; chmod 400 /etc/munge/munge.key; "
                + "runuser -u munge -- munged 2>/dev/null || munged --force; sleep 1; munge -n >/dev/null; }", dir, env);
            Assert.True(munge == 0, "munge could not start: " + why);
            var (up, log) = Bash($"slurmctld -f {conf} && slurmd -N localhost -f {conf} && for i in $(seq 1 60); do [ \"$(sinfo -h -o %t 2>/dev/null)\" = idle ] && exit 0; sleep 0.5; done; "
                + $"echo 'the node never became idle'; cat {dir}/slurmctld.log {dir}/slurmd.log; exit 1", dir, env);
            Assert.True(up == 0, "Slurm did not come up: " + log);
            var blocks = Blocks("## Slurm job array");
            File.WriteAllText(Path.Combine(dir, "sweep.sbatch"), blocks[0]);
            var (code, output) = Bash(blocks[1], dir, env);
            Assert.True(code == 0, output);
            string merged = Path.Combine(dir, "results", "merged");
            var deadline = DateTime.UtcNow.AddMinutes(4);
            while (!File.Exists(Path.Combine(merged, "run.json")) && DateTime.UtcNow < deadline)
                Thread.Sleep(500);
            Assert.True(File.Exists(Path.Combine(merged, "run.json")), "the merge job did not finish: " + Bash("squeue; cat slurm-*.out", dir, env).Output);
            AssertSameCsv(whole, merged);
        }
        finally
        {
            Bash($"for f in {dir}/slurmd.pid {dir}/slurmctld.pid; do [ -f $f ] && kill $(cat $f) 2>/dev/null; done; true", dir, env);
        }
    }
}
