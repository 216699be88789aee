using TlbSim.Model.Mechanisms;
using TlbSim.Model.Units;
using TlbSim.Model.Workloads;
using TlbSim.Tests.Model.Mechanisms;
using Xunit;

namespace TlbSim.Tests.Model.Workloads;

/// <summary>When jobs share a CPU, does an operation wait for its own job's turn, as a real task would?</summary>
public class SharedCpuTests
{
    private static List<Duration> Latencies(int jobs, bool wakes = false)
    {
        var busy = WorkloadPresets.KernelBuild with { BusyFraction = 1, JobsPerCpu = jobs, InitiatorWakes = wakes };
        var (_, recorder) = MechanismTests.Run(MechanismTests.Spec("baseline", 4, workload: busy, rate: 2000, ms: 60));
        return recorder.Latencies;
    }

    [Fact]
    public void An_operation_due_during_another_job_s_turn_waits_until_that_turn_ends()
    {
        var alone = Latencies(1);
        var shared = Latencies(2);
        var slice = new TlbSim.Model.Linux.KernelParams().SchedBaseSlice;
        // One job: a store takes its 10 ns (plus at most one 20 us work slice before it starts).
        Assert.All(alone, l => Assert.True(l < Duration.FromMicroseconds(25), $"{l}"));
        // Two jobs taking 3 ms turns over 60 ms: the next operation is drawn when one ends, so about one per turn of
        // the other job falls due in it and waits for it (about 10), never longer than a turn.
        int waited = shared.Count(l => l > Duration.FromMicroseconds(25));
        Assert.InRange(waited, 5, 20);
        Assert.All(shared, l => Assert.True(l <= slice * 1.05, $"{l} is longer than one turn of {slice}"));
    }

    [Fact]
    public void An_initiator_that_sleeps_between_operations_preempts_the_running_job_when_it_wakes()
    {
        var woken = Latencies(2, wakes: true);
        Assert.True(woken.Count > 50);
        Assert.All(woken, l => Assert.True(l < Duration.FromMicroseconds(25), $"{l}: a waking initiator should not wait for a turn"));
    }
}
