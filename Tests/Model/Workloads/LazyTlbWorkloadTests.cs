using TlbSim.Model.Mechanisms;
using TlbSim.Model.Workloads;
using TlbSim.Tests.Model.Mechanisms;
using Xunit;

namespace TlbSim.Tests.Model.Workloads;

/// <summary>Is lazy TLB mode exercised by running workloads, as idle CPUs enter it and user-mm flushes skip them?</summary>
public class LazyTlbWorkloadTests
{
    [Fact]
    public void A_flush_of_a_user_mm_sends_no_IPI_to_a_CPU_that_went_lazy_in_a_running_workload()
    {
        // web_server idles half the time: CPUs of the process go lazy (enter_lazy_tlb) or leave the mm (C6's leave_mm).
        // Every pku operation here is a pkey_mprotect of one page: flush_tlb_mm_range to the process's CPUs.
        var spec = MechanismTests.Spec("pku", 8, new MechanismParams { PkuTagEvery = 1 }, workload: WorkloadPresets.WebServer, rate: 20_000, ms: 10);
        var (outcome, recorder) = MechanismTests.Run(spec); // with the invariant checks on: no lazy CPU is ever interrupted
        Assert.True(recorder.Latencies.Count > 50);
        Assert.True(outcome.LazySkips > 0, "some flushes found lazy CPUs to skip");
        Assert.True(outcome.Ipis < 7 * recorder.Latencies.Count, "fewer IPIs than every other CPU per flush");
    }

    [Fact]
    public void The_breakdown_of_a_global_flush_design_blames_wake_ups_on_a_mostly_idle_machine()
    {
        var spec = MechanismTests.Spec("rare_alloc", 16, workload: WorkloadPresets.Idle, rate: 2000, ms: 10);
        var (outcome, _) = MechanismTests.Run(spec);
        var b = outcome.Breakdown[0];
        Assert.True(b.TotalPs > 0);
        Assert.True(b.WakePs > b.PerTargetPs, $"wake {b.WakePs} ps against per-target {b.PerTargetPs} ps");
        Assert.True(b.WakePs + b.IrqsOffPs + b.PerTargetPs + b.RemoteWaitPs <= b.TotalPs);
    }
}
