using TlbSim.Scenarios.Loading;
using TlbSim.Scenarios.Probe;
using Xunit;

namespace TlbSim.Tests.Scenarios;

/// <summary>
/// Does tlbsim probe measure the host for real, write a machine preset a scenario can name (with errors that
/// point into it), and does probe --check put the committed probe of a real machine beside its simulation?
/// </summary>
[Collection(HostMeasurements.Name)]
public class ProbeTests
{
    private static readonly string Committed = Path.Combine(ScenarioLoaderTests.RepoRoot(), "probes", "machine-vm.yaml");

    [Fact]
    public void The_syscall_benchmark_measures_a_real_round_trip_and_repeats_until_its_median_is_stable()
    {
        if (!OperatingSystem.IsLinux())
            return;
        var m = HostProbe.Repeat("syscall_round_trip", "syscall", () => HostProbe.SyscallRoundTrip(20_000));
        Assert.InRange(m.MedianNs, 20, 100_000);
        Assert.InRange(m.Runs, HostProbe.MinRuns, HostProbe.MaxRuns);
        Assert.True(m.P10Ns <= m.MedianNs && m.MedianNs <= m.P90Ns);
    }

    [Fact]
    public void Threads_of_one_process_pay_for_each_other_s_flushes_and_processes_do_not()
    {
        if (!OperatingSystem.IsLinux() || Environment.ProcessorCount < 2)
            return;
        double one = HostProbe.ThreadsLoop("madvise", 1, 5_000);
        double two = HostProbe.ThreadsLoop("madvise", 2, 5_000);
        var processes = HostProbe.ProcessesLoop(2, 2_000, seconds: 0.6);
        Assert.True(two > one * 1.2, $"2 threads {two:0} ns per loop against 1 thread {one:0}: every madvise interrupts the other thread");
        Assert.NotEmpty(processes);
        Assert.True(HostProbe.Quantile(processes, 0.5) < two, "processes share no mm, so no flush reaches the other CPU");
    }

    [Fact]
    public void The_host_facts_come_from_proc_and_sys()
    {
        if (!OperatingSystem.IsLinux())
            return;
        var host = HostFacts.Read();
        Assert.Equal(Environment.ProcessorCount, host.Cpus);
        Assert.Equal(host.Cpus, host.Sockets * host.CoresPerSocket * host.ThreadsPerCore);
        Assert.False(string.IsNullOrEmpty(host.Kernel));
    }

    [Fact]
    public void A_scenario_runs_on_the_committed_probe_preset_with_its_measured_machine_and_kernel_values()
    {
        var file = ScenarioLoader.Parse($"scenarios:\n  - name: p\n    machine: {{preset_file: '{Committed}'}}\n    kernel: {{preset_file: '{Committed}'}}\n", "test.yaml");
        var machine = file.Scenarios[0].Points[0].Settings.Machine;
        var kernel = file.Scenarios[0].Points[0].Settings.Kernel;
        Assert.True(kernel.AnonFault > new TlbSim.Model.Linux.KernelParams().AnonFault, "the guest's measured fault is dearer than the Haswell default");
        Assert.True(machine.Virtualized);
        Assert.Equal(2, machine.Topology.Cpus);
        Assert.True(machine.GuestIcrExit > TlbSim.Model.Units.Duration.Zero);
        Assert.Contains(machine.Cpu.IdleStates, s => s.Polling);
    }

    [Fact]
    public void A_bad_preset_file_gives_errors_located_in_that_file_and_preset_with_preset_file_is_refused()
    {
        string dir = Directory.CreateTempSubdirectory("tlbsim-probe").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "m.yaml"), "machine:\n  preset: milan_1s\n  cpu: {syscall_round_trp: 200ns}\nextra: 1\n");
            File.WriteAllText(Path.Combine(dir, "s.yaml"), "scenarios:\n  - name: p\n    machine: {preset_file: m.yaml}\n  - name: q\n    machine: {preset: milan_1s, preset_file: m.yaml}\n  - name: r\n    machine: {preset_file: missing.yaml}\n");
            var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Load(Path.Combine(dir, "s.yaml")));
            var messages = e.Errors.Select(x => x.ToString()).ToList();
            Assert.Contains(messages, m => m.Contains("m.yaml:3:9", StringComparison.Ordinal) && m.Contains("syscall_round_trp", StringComparison.Ordinal));
            Assert.Contains(messages, m => m.Contains("m.yaml:4:1", StringComparison.Ordinal) && m.Contains("extra", StringComparison.Ordinal));
            Assert.Contains(messages, m => m.Contains("not both", StringComparison.Ordinal));
            Assert.Contains(messages, m => m.Contains("missing.yaml", StringComparison.Ordinal) && m.Contains("cannot", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Probe_check_puts_each_measured_loop_beside_its_simulation_and_reproduces_its_inputs()
    {
        var output = new StringWriter();
        Assert.Equal(0, ProbeCommand.Check(Committed, output, new StringWriter()));
        var rows = output.ToString().Split('\n').Where(l => l.Contains(" input ", StringComparison.Ordinal) || l.Contains(" check ", StringComparison.Ordinal)).ToList();
        Assert.True(rows.Count >= 7, output.ToString());
        foreach (var row in rows.Where(r => r.Contains(" input ", StringComparison.Ordinal) && !r.Contains("2 thread", StringComparison.Ordinal)))
            Assert.Contains(" 1.00 ", row, StringComparison.Ordinal);
        Assert.Contains(rows, r => r.Contains("mprotect pair, 2 thread", StringComparison.Ordinal) && r.Contains(" check ", StringComparison.Ordinal));
    }

    [Fact]
    public void Probe_check_of_a_missing_file_or_unknown_measured_keys_exits_2_with_the_file_and_key_named()
    {
        var error = new StringWriter();
        Assert.Equal(2, ProbeCommand.Check("/nonexistent/m.yaml", new StringWriter(), error));
        Assert.StartsWith("/nonexistent/m.yaml: no such file", error.ToString(), StringComparison.Ordinal);
        string dir = Directory.CreateTempSubdirectory("tlbsim-probe").FullName;
        try
        {
            string bad = Path.Combine(dir, "m.yaml");
            File.WriteAllText(bad, File.ReadAllText(Committed) + "  bogus_loop: {median_ns: 1, p10_ns: 1, p90_ns: 1, runs: 1}\n  syscall_again: {median_nss: 1}\n");
            error = new StringWriter();
            Assert.Equal(2, ProbeCommand.Check(bad, new StringWriter(), error));
            Assert.Contains("measured.bogus_loop: not a loop tlbsim probe measures", error.ToString(), StringComparison.Ordinal);
            Assert.Contains("m.yaml:", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
