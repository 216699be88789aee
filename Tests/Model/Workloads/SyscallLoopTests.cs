using TlbSim.Model.Hardware;
using TlbSim.Model.Linux;
using TlbSim.Model.Mechanisms;
using TlbSim.Model.Units;
using TlbSim.Model.Workloads;
using TlbSim.Tests.Model.Mechanisms;
using Xunit;

namespace TlbSim.Tests.Model.Workloads;

/// <summary>Do the closed-loop syscall workloads do what their benchmarks' sources do, with the kernel's own primitives?</summary>
public class SyscallLoopTests
{
    private static RunOutcome Run(string preset, int threads, bool processes = false, FlushPolicy policy = FlushPolicy.Concurrent,
        MachineParams? machine = null, bool drainOnZap = false)
    {
        var haswell = MachinePresets.HaswellDesktop;
        var spec = new RunSpec
        {
            Machine = machine ?? haswell with { Cpu = haswell.Cpu with { Pti = false, SyscallRoundTrip = Duration.FromNanoseconds(192) } },
            Kernel = new KernelParams { Policy = policy, LruDrainOnZap = drainOnZap },
            Workload = WorkloadPresets.All[preset] with { LoopThreads = threads, LoopProcesses = processes },
            MechanismParams = new MechanismParams(),
            Operations = new OperationParams { Rate = 0 },
            Mechanism = "baseline",
            Design = () => TlbSim.Scenarios.Loading.Designs.Builtin.Create("baseline"),
            Duration = Duration.FromMilliseconds(3),
            Warmup = Duration.FromMilliseconds(1),
            Seed = 1,
            Check = true,
        };
        return Experiment.Run(spec, new MechanismTests.Recorder());
    }

    [Fact]
    public void One_madvise_loop_thread_takes_the_published_661_ns_per_loop_with_its_local_flush_only()
    {
        var o = Run("madvise_loop", 1);
        double ns = o.Seconds * 1e9 / o.Loops;
        Assert.InRange(ns, 661 * 0.98, 661 * 1.02);
        Assert.Equal(0, o.Ipis);
    }

    [Fact]
    public void Tlb_flush2_as_processes_sends_no_IPI_and_as_threads_flushes_every_other_thread_s_CPU()
    {
        var processes = Run("tlb_flush2", 4, processes: true);
        var threads = Run("tlb_flush2", 4);
        Assert.Equal(0, processes.Ipis);
        Assert.Equal(0, processes.Shootdowns);
        // Every madvise of a thread is a shootdown round to the other threads' CPUs (requests to a CPU whose
        // queue is already busy share its pending IPI, so IPIs are fewer than targets).
        Assert.True(threads.Shootdowns >= threads.Loops, $"{threads.Shootdowns} rounds for {threads.Loops} loops of 4 threads");
        Assert.True(threads.Ipis > 0);
        Assert.True(threads.Loops < processes.Loops, "threads pay for each other's flushes");
    }

    [Fact]
    public void A_munmap_loop_frees_page_tables_so_its_flush_reaches_every_CPU_of_the_mm()
    {
        var o = Run("munmap_loop", 3);
        var alone = Run("munmap_loop", 3, processes: true);
        // Each loop's munmap is a round to the other threads' CPUs (freed_tables: lazy or not); as processes, none.
        Assert.True(o.Shootdowns >= o.Loops, $"{o.Shootdowns} rounds for {o.Loops} loops");
        Assert.Equal(0, alone.Shootdowns);
    }

    [Fact]
    public void Tlb_flush1_pays_a_second_shootdown_in_15_of_16_iterations_where_fault_around_left_a_read_only_page_to_copy_on_write()
    {
        // Two threads, so every flush_tlb_mm_range is a round to the other thread's CPU. tlb_flush3 (shared)
        // makes a fault-around page writable without a flush: one round per iteration, the madvise.
        var priv = Run("tlb_flush1", 2);
        var shared = Run("tlb_flush3", 2);
        double perLoop1 = (double)priv.Shootdowns / priv.Loops, perLoop3 = (double)shared.Shootdowns / shared.Loops;
        Assert.InRange(perLoop1 / perLoop3, (1 + 15.0 / 16) * 0.97, (1 + 15.0 / 16) * 1.03);
    }

    [Fact]
    public void Tlb_flush2_reads_each_page_back_through_the_zero_page_and_its_munmap_zaps_every_page()
    {
        var madvise = Run("madvise_loop", 1);
        var flush2 = Run("tlb_flush2", 1);
        double Ns(RunOutcome o) => o.Seconds * 1e9 / o.Loops;
        var k = new KernelParams();
        // What tlb_flush2 adds to the write+madvise loop: the read fault (zero page) and, per page, munmap's zap of
        // the page it populated, plus munmap/mmap's fixed work and full flush shared by the mapping's 256 pages.
        double atLeast = k.ZeroPageFault.TotalNanoseconds + k.ZapPerPage.TotalNanoseconds;
        Assert.InRange(Ns(flush2) - Ns(madvise), atLeast, atLeast + 30);
    }

    [Fact]
    public void With_lru_add_drain_on_zap_lru_lock_bounds_tlb_flush2_threads_so_INVLPGB_gains_little_and_without_it_INVLPGB_gains_much()
    {
        // The INVLPGB series' will-it-scale tlb_flush2_threads: with the drain, INVLPGB alone changed nothing,
        // without it INVLPGB raised the loop rate (527k -> 527k, 731k -> 1157k loops/s on 36 Milan cores).
        var milan = MachinePresets.All["milan_1s"];
        var machine = milan with { Topology = milan.Topology with { CoresPerSocket = 12 } };
        double Loops(bool drain, FlushPolicy policy) => Run("tlb_flush2", 12, policy: policy, machine: machine, drainOnZap: drain).Loops;
        double withDrain = Loops(true, FlushPolicy.Broadcast) / Loops(true, FlushPolicy.Concurrent);
        double withoutDrain = Loops(false, FlushPolicy.Broadcast) / Loops(false, FlushPolicy.Concurrent);
        Assert.InRange(withDrain, 0.9, 1.15);
        Assert.True(withoutDrain > 1.3, $"without the drain INVLPGB gains {withoutDrain:F2}x");
        double lockShare = Run("tlb_flush2", 12, policy: FlushPolicy.Broadcast, machine: machine, drainOnZap: true).TimeShare[TimeCategory.Lock];
        Assert.True(lockShare > 0.3, $"with the drain and no IPIs, lru_lock takes {lockShare:P0} of the time");
    }
}
