using TlbSim.Model.Hardware;
using TlbSim.Model.Linux;
using TlbSim.Model.Memory;
using TlbSim.Model.Units;
using Xunit;

namespace TlbSim.Tests.Model.Linux;

/// <summary>Does each flush primitive pick the targets, send the IPIs and wait the way Linux's code does?</summary>
public class FlushProtocolTests
{
    /// <summary>
    /// The initiator's latency for one round to busy same-socket targets, by smp_call_function_many_cond's
    /// steps: csd_lock and llist_add per target, the ICR writes (target i's done at <paramref name="writtenAt"/>[i]
    /// after the queueing), the local flush, then csd_lock_wait reading each csd in turn, each no earlier than
    /// that target's unlock (delivery, extra wait, entry, queue take, csd read, INVLPG).
    /// </summary>
    private static Duration Expected(Harness h, Duration[] writtenAt, Duration sendTotal, Duration local, Duration[]? extra = null)
    {
        var apic = h.Machine.Params.Apic;
        var line = apic.SameSocketAck;
        int n = writtenAt.Length;
        var k = h.Kernel.Params;
        var queue = (k.CsdPerTarget + new Duration((long)(k.CsdQueueTransfers * line.Picoseconds))) * n;
        var t = queue + sendTotal + local;
        for (int i = 0; i < n; i++)
        {
            var unlock = queue + writtenAt[i] + apic.SameSocketDelivery + (extra?[i] ?? Duration.Zero) + h.Machine.Params.Cpu.InterruptEntry
                + line * 2 + h.Machine.Params.Tlb.Invlpg;
            // A csd still locked is seen a line transfer after its unlock; an unlocked one costs an overlapped read.
            t = unlock + line > t ? unlock + line : t + new Duration((long)(line.Picoseconds / k.CsdWaitParallelReads));
        }
        return t;
    }

    [Fact]
    public void A_shootdown_with_no_remote_CPU_sends_no_IPI()
    {
        var h = new Harness(Harness.Cpus(4));
        var mm = h.MmOn(0);
        var t = h.Once(0, c => h.Kernel.FlushTlbMmRange(c, mm, 1, freedTables: false));
        for (int i = 1; i < 4; i++)
            h.Busy(i);
        h.RunFor(100);
        Assert.Equal(0, h.Machine.Bus.IpisSent);
        Assert.Equal(0, h.Kernel.Shootdowns);
        Assert.Equal(1, h.Kernel.PageInvalidations); // the local INVLPG
        Assert.Equal(h.Machine.Params.Tlb.Invlpg, t.Latency);
    }

    [Fact]
    public void A_kernel_range_flush_sends_one_IPI_to_every_other_online_CPU_idle_ones_included_and_waits_for_all()
    {
        var h = new Harness(Harness.Cpus(8));
        var acked = new List<Duration>();
        var t = h.Once(0, c => h.Kernel.FlushTlbKernelRange(c, 1, PageSize.Size4K));
        for (int i = 1; i < 8; i++)
        {
            if (i % 2 == 0)
                h.Idle(i);
            else
                h.Busy(i);
        }
        h.RunFor(1000);
        Assert.Equal(7, h.Machine.Bus.IpisSent);
        Assert.Equal(1, h.Machine.Bus.IcrWrites); // all-but-self shorthand
        for (int i = 1; i < 8; i++)
            Assert.Equal(1, h[i].InterruptsTaken);
        // The slowest targets are idle ones: each pays a wake-up from C6 (reached as a core state, since the
        // package has busy cores), drawn between half and all of its exit latency, before its handler runs.
        var apic = h.Machine.Params.Apic;
        var c6 = h.Machine.Params.Cpu.IdleStates[^1].ExitLatency;
        var writes = Enumerable.Repeat(apic.BroadcastWrite, 7).ToArray();
        var invlpg = h.Machine.Params.Tlb.Invlpg;
        Duration With(double share) => Expected(h, writes, apic.BroadcastWrite, invlpg, [.. Enumerable.Range(1, 7).Select(i => i % 2 == 0 ? c6 * share : Duration.Zero)]);
        Assert.InRange(t.Latency.Picoseconds, With(0.5).Picoseconds, With(1.0).Picoseconds);
        Assert.True(h[0].Breakdown.WakePs >= (c6 * 0.5).Picoseconds, "the wait is attributed to the wake-up");
    }

    [Fact]
    public void An_mm_flush_skips_lazy_CPUs_unless_page_tables_were_freed()
    {
        foreach (bool freed in new[] { false, true })
        {
            var h = new Harness(Harness.Cpus(4, shorthand: false));
            var mm = h.MmOn(0, 1, 2, 3);
            LinuxKernel.EnterLazyTlb(h[2]);
            h.Once(0, c => h.Kernel.FlushTlbMmRange(c, mm, 1, freedTables: freed));
            h.Busy(1);
            h.Idle(2);
            h.Busy(3);
            h.RunFor(1000);
            Assert.Equal(freed ? 3 : 2, h.Machine.Bus.IpisSent);
            Assert.Equal(freed ? 1 : 0, h[2].InterruptsTaken);
        }
    }

    [Fact]
    public void A_lazy_CPU_that_skipped_a_flush_flushes_fully_when_it_switches_back()
    {
        var h = new Harness(Harness.Cpus(2));
        var mm = h.MmOn(0, 1);
        LinuxKernel.EnterLazyTlb(h[1]);
        h.Once(0, c => h.Kernel.FlushTlbMmRange(c, mm, 1, freedTables: false));
        h.Once(1, c => h.Kernel.SwitchMm(c, mm), startUs: 50);
        h.RunFor(200);
        Assert.Equal(0, h.Machine.Bus.IpisSent);
        Assert.Equal(1, h.Kernel.FullFlushes);
        Assert.False(h[1].IsLazy);
    }

    /// <summary>CPU 0 and CPU 1 run mm; CPU 1 then switches to another; CPU 0 flushes mm with page tables freed (every CPU in the mask).</summary>
    private static (Harness H, AddressSpace Mm) FreedTablesFlushAfterSwitch(CpumaskTrim trim)
    {
        var h = new Harness(Harness.Cpus(2), new KernelParams { CpumaskTrim = trim });
        var mm = h.MmOn(0, 1);
        var other = new AddressSpace(2, "other");
        h.Once(1, c => h.Kernel.SwitchMm(c, other));
        h.Once(0, c => h.Kernel.FlushTlbMmRange(c, mm, 1, freedTables: true), startUs: 50);
        h.RunFor(200);
        return (h, mm);
    }

    [Fact]
    public void Before_6_14_a_CPU_leaves_an_mm_cpumask_when_it_switches_away_so_a_flush_freeing_page_tables_does_not_reach_it()
    {
        var (h, mm) = FreedTablesFlushAfterSwitch(CpumaskTrim.OnSwitch);
        Assert.Equal(0, h.Machine.Bus.IpisSent);
        Assert.Equal(0, h.Kernel.WrongCpuFlushes);
        Assert.Equal([0], mm.CpuMask);
    }

    [Fact]
    public void From_6_14_a_CPU_that_switched_away_stays_in_the_cpumask_until_a_flush_finds_it_running_another_mm()
    {
        var (h, mm) = FreedTablesFlushAfterSwitch(CpumaskTrim.Lazy);
        Assert.Equal(1, h.Kernel.WrongCpuFlushes); // its flush_tlb_func ran, found another mm and cleared the bit
        Assert.Equal([0], mm.CpuMask);
    }

    [Fact]
    public void From_6_14_a_flush_once_a_second_per_mm_interrupts_the_CPUs_that_left_the_mm_but_never_a_lazy_one()
    {
        var h = new Harness(Harness.Cpus(4), new KernelParams { CpumaskTrim = CpumaskTrim.Lazy });
        var mm = h.MmOn(0, 1, 2, 3);
        var other = new AddressSpace(2, "other");
        h.Once(2, c => h.Kernel.SwitchMm(c, other));
        LinuxKernel.EnterLazyTlb(h[3]);
        var ipis = new List<long>();
        // Flushes at 0.5 s (before next_trim_cpumask: init_new_context's jiffies + HZ), 1.1 s (the trim) and 1.2 s.
        IEnumerable<TlbSim.Model.Kernel.Event> Flusher(Cpu c)
        {
            foreach (double atMs in new[] { 500.0, 1100, 1200 })
            {
                foreach (var e in c.Idle(Duration.FromMilliseconds(atMs) - h.Sim.Now))
                    yield return e;
                long before = h.Machine.Bus.IpisSent;
                foreach (var e in h.Kernel.FlushTlbMmRange(c, mm, 1, freedTables: false))
                    yield return e;
                ipis.Add(h.Machine.Bus.IpisSent - before);
            }
        }
        h.Machine.Start(h[0], Flusher);
        h.Busy(1, sliceUs: 1000);
        h.RunFor(1_300_000);
        // CPU 1 runs mm: every flush. CPU 2 runs another mm: only the trim, after which it has left the mask.
        // CPU 3 is lazy: never (should_flush_tlb), so it stays in the mask.
        Assert.Equal([1L, 2, 1], ipis);
        Assert.Equal(1, h.Kernel.CpumaskTrims);
        Assert.Equal([0, 1, 3], mm.CpuMask);
    }

    [Fact]
    public void A_target_inside_an_IRQ_disabled_section_delays_the_initiator_by_the_rest_of_that_section()
    {
        Duration Latency(bool irqsOff)
        {
            var h = new Harness(Harness.Cpus(2));
            var t = h.Once(0, c => h.Kernel.FlushTlbKernelRange(c, 1, PageSize.Size4K), startUs: 1);
            if (irqsOff)
                h.Machine.Start(h[1], c => c.RunIrqsOff(Duration.FromMicroseconds(20), TimeCategory.Kernel).Concat(c.Work(Duration.FromMicroseconds(100))));
            else
                h.Machine.Start(h[1], c => c.Work(Duration.FromMicroseconds(120)));
            h.RunFor(200);
            return t.Latency;
        }
        var free = Latency(false);
        var blocked = Latency(true);
        var h0 = new Harness(Harness.Cpus(2));
        var apic = h0.Machine.Params.Apic;
        // The IPI arrives at 1 us + send + delivery; the section ends at 20 us; the handler then runs as before.
        var queue = h0.Kernel.Params.CsdPerTarget + new Duration((long)(h0.Kernel.Params.CsdQueueTransfers * apic.SameSocketAck.Picoseconds));
        var arrival = Duration.FromMicroseconds(1) + queue + apic.IcrWrite + apic.SameSocketDelivery;
        Assert.Equal(free + (Duration.FromMicroseconds(20) - arrival), blocked);
    }

    [Fact]
    public void More_than_33_pages_gives_one_full_flush_instead_of_per_page_flushes()
    {
        foreach (int pages in new[] { 33, 34 })
        {
            var h = new Harness(Harness.Cpus(4));
            h.Once(0, c => h.Kernel.FlushTlbKernelRange(c, pages, PageSize.Size4K));
            for (int i = 1; i < 4; i++)
                h.Busy(i);
            h.RunFor(1000);
            Assert.Equal(pages == 33 ? 4 * 33 : 0, h.Kernel.PageInvalidations);
            Assert.Equal(pages == 33 ? 0 : 4, h.Kernel.FullFlushes);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void Initiator_latency_with_N_targets_is_at_least_the_send_cost_plus_the_slowest_acknowledgment(int n)
    {
        // x2APIC physical mode: one ICR write per target.
        var h = new Harness(Harness.Cpus(8, shorthand: false, mode: ApicMode.Physical));
        var targets = Enumerable.Range(1, n).ToArray();
        var mm = h.MmOn([0, .. targets]);
        var t = h.Once(0, c => h.Kernel.FlushTlbMmRange(c, mm, 1, freedTables: false));
        for (int i = 1; i < 8; i++)
            h.Busy(i);
        h.RunFor(1000);
        var apic = h.Machine.Params.Apic;
        var send = apic.IcrWrite * n;
        var slowestAck = apic.SameSocketAck;
        Assert.True(t.Latency >= send + slowestAck, $"{t.Latency} < {send} + {slowestAck}");
        // The exact path: queueing, one ICR write per target, the local INVLPG, and the walk over the csds.
        var writes = Enumerable.Range(1, n).Select(i => apic.IcrWrite * i).ToArray();
        Assert.Equal(Expected(h, writes, send, h.Machine.Params.Tlb.Invlpg), t.Latency);
        Assert.Equal(n, h.Machine.Bus.IpisSent);
    }

    [Fact]
    public void Concurrent_initiators_share_one_IPI_per_target_and_the_target_serves_both_in_one_interrupt()
    {
        var h = new Harness(Harness.Cpus(3, shorthand: false));
        var a = h.Once(0, c => h.Kernel.FlushTlbKernelRange(c, 1, PageSize.Size4K), startUs: 1);
        var b = h.Once(1, c => h.Kernel.FlushTlbKernelRange(c, 1, PageSize.Size4K), startUs: 1);
        h.Busy(2);
        h.RunFor(1000);
        Assert.NotNull(a.End);
        Assert.NotNull(b.End);
        // cpu2's queue was empty only for the first initiator: 2 + 1 IPIs instead of 4.
        Assert.Equal(3, h.Machine.Bus.IpisSent);
        Assert.Equal(1, h[2].InterruptsTaken);
    }

    [Fact]
    public void Broadcast_invalidation_sends_no_IPI_and_takes_no_target_time()
    {
        var h = new Harness(Harness.Cpus(8), new KernelParams { Policy = FlushPolicy.Rar });
        var t = h.Once(0, c => h.Kernel.FlushTlbKernelRange(c, 1, PageSize.Size4K));
        for (int i = 1; i < 8; i++)
            h.Busy(i);
        h.RunFor(1000);
        Assert.Equal(0, h.Machine.Bus.IpisSent);
        Assert.All(Enumerable.Range(1, 7), i => Assert.Equal(Duration.Zero, h[i].TimeIn(TimeCategory.Interrupt)));
        Assert.Equal(h.Kernel.Params.BroadcastIssue + h.Kernel.Params.BroadcastCompletion, t.Latency);
    }

    [Fact]
    public void Under_INVLPGB_as_merged_a_user_mm_goes_by_IPI_until_consider_global_asid_finds_it_active_on_more_than_three_CPUs()
    {
        foreach (int cpus in new[] { 3, 5 })
        {
            var h = new Harness(Harness.Cpus(8), new KernelParams { Policy = FlushPolicy.Broadcast });
            var mm = h.MmOn([.. Enumerable.Range(0, cpus)]);
            // cpu0 runs no task, so its pid is taken as 0: the once-in-a-while check passes in jiffy 0 (0-4 ms) and
            // 32 (128-132 ms). Flush in jiffy 0, then in jiffies 1 and 2.
            IEnumerable<TlbSim.Model.Kernel.Event> Flusher(Cpu c)
            {
                foreach (double at in new[] { 1000.0, 5000, 9000 })
                {
                    foreach (var e in c.Idle(Duration.FromMicroseconds(at) - h.Sim.Now))
                        yield return e;
                    foreach (var e in h.Kernel.FlushTlbMmRange(c, mm, 1, freedTables: false))
                        yield return e;
                }
            }
            h.Machine.Start(h[0], Flusher);
            for (int i = 1; i < cpus; i++)
                h.Busy(i);
            h.RunFor(10_000);
            // Active on 3 CPUs: never global, three rounds of IPIs. On 5: IPIs for the first (which finds it active on
            // more than three CPUs and gives it a global ASID), then broadcast.
            Assert.Equal(cpus > 3, mm.GlobalAsid);
            Assert.Equal(cpus > 3 ? cpus - 1 : 3 * (cpus - 1), h.Machine.Bus.IpisSent);
        }
    }

    /// <summary>The latency of one single-page flush from CPU 0 with CPU 1 busy: a user flush (freeing page tables or not) or a kernel one.</summary>
    private static Duration OnePageFlush(FlushPolicy policy, string kind)
    {
        var h = new Harness(Harness.Cpus(2), new KernelParams { Policy = policy });
        var mm = h.MmOn(0, 1);
        var t = h.Once(0, c => kind switch
        {
            "kernel" => h.Kernel.FlushTlbKernelRange(c, 1, PageSize.Size4K),
            _ => h.Kernel.FlushTlbMmRange(c, mm, 1, freedTables: kind == "user, freeing tables"),
        });
        h.Busy(1);
        h.RunFor(1000);
        return t.Latency;
    }

    [Fact]
    public void Early_acknowledgment_shortens_a_user_flush_that_frees_no_page_tables_by_the_target_flush()
    {
        // One page: the remote path (delivery, entry, INVLPG, ack) is longer than the local INVLPG under both policies.
        var saved = OnePageFlush(FlushPolicy.Concurrent, "user") - OnePageFlush(FlushPolicy.EarlyAck, "user");
        Assert.True(saved > Duration.Zero, $"early acknowledgement saved {saved}");
    }

    [Theory]
    [InlineData("user, freeing tables")]
    [InlineData("kernel")]
    public void Early_acknowledgment_leaves_kernel_flushes_and_flushes_that_free_page_tables_synchronous(string kind)
    {
        Assert.Equal(OnePageFlush(FlushPolicy.Concurrent, kind), OnePageFlush(FlushPolicy.EarlyAck, kind));
    }

    [Fact]
    public void Every_CPU_time_account_sums_to_the_elapsed_time()
    {
        var h = new Harness(Harness.Cpus(4));
        h.Once(0, c => h.Kernel.FlushTlbKernelRange(c, 40, PageSize.Size4K));
        h.Busy(1);
        h.Idle(2);
        h.Machine.Start(h[3], c => c.RunIrqsOff(Duration.FromMicroseconds(5), TimeCategory.Kernel).Concat(c.Idle(Duration.FromMicroseconds(500))));
        h.RunFor(300);
        foreach (var cpu in h.Machine.Cpus)
        {
            cpu.SettleAccounts();
            var sum = Enum.GetValues<TimeCategory>().Select(cpu.TimeIn).Aggregate(Duration.Zero, (x, y) => x + y);
            Assert.Equal(h.Sim.Now, sum);
        }
        Assert.True(h[0].TimeIn(TimeCategory.Flush) > Duration.Zero);
        Assert.True(h[1].TimeIn(TimeCategory.Walk) > Duration.Zero);
        Assert.True(h[2].TimeIn(TimeCategory.Interrupt) > Duration.Zero);
    }

    [Fact]
    public void A_CPU_with_no_program_still_takes_the_IPI_so_the_initiator_finishes()
    {
        var h = new Harness(Harness.Cpus(4));
        var t = h.Once(0, c => h.Kernel.FlushTlbAll(c));
        h.Busy(1); // cpus 2 and 3 were never given a program
        h.RunFor(1000);
        Assert.NotNull(t.End);
        Assert.Equal(1, h[3].InterruptsTaken);
    }

    [Fact]
    public void A_CPU_that_misses_a_generation_turns_the_next_range_flush_into_a_full_flush()
    {
        var h = new Harness(Harness.Cpus(3, shorthand: false));
        var mm = h.MmOn(0, 1, 2);
        // cpu0 and cpu1 each flush one page of the mm at the same instant; cpu2 sees two generations at once.
        h.Once(0, c => h.Kernel.FlushTlbMmRange(c, mm, 1, freedTables: false));
        h.Once(1, c => h.Kernel.FlushTlbMmRange(c, mm, 1, freedTables: false));
        h.Busy(2);
        h.RunFor(1000);
        Assert.True(h.Kernel.FullFlushes >= 1, "expected a full flush on a CPU that missed a generation");
    }

    [Fact]
    public void Protecting_an_already_protected_page_changes_nothing_and_flushes_nothing()
    {
        var h = new Harness(Harness.Cpus(2));
        h.Once(0, c => h.Kernel.SetMemoryRo(c, 5, 1).Concat(h.Kernel.SetMemoryRo(c, 5, 1)));
        h.Busy(1);
        h.RunFor(1000);
        Assert.Equal(3, h.Kernel.Shootdowns); // two splits and one cpa_flush, all from the first call
    }

    [Fact]
    public void An_idle_CPU_woken_again_and_again_by_IPIs_stops_choosing_its_deepest_state()
    {
        var h = new Harness(Harness.Cpus(2));
        var latencies = new List<Duration>();
        IEnumerable<TlbSim.Model.Kernel.Event> Flusher(Cpu c)
        {
            for (int i = 0; i < 20; i++)
            {
                foreach (var e in c.Idle(Duration.FromMicroseconds(100)))
                    yield return e;
                var start = h.Sim.Now;
                foreach (var e in h.Kernel.FlushTlbKernelRange(c, 1, PageSize.Size4K))
                    yield return e;
                latencies.Add(h.Sim.Now - start);
            }
        }
        h.Machine.Start(h[0], Flusher);
        h.Idle(1, periodUs: 100_000); // planned idle far beyond C6's target residency
        h.RunFor(10_000);
        var states = h.Machine.Params.Cpu.IdleStates;
        Assert.True(latencies[0] > states[^1].ExitLatency * 0.5, $"the first wake should pay a C6 exit ({latencies[0]})");
        Assert.All(latencies.Skip(10), l => Assert.True(l < states[^2].ExitLatency, $"later wakes should be shallow ({l})"));
    }

    [Theory]
    [InlineData(3, 1)]
    [InlineData(15, 1)]
    [InlineData(20, 2)]
    [InlineData(40, 3)]
    public void In_x2APIC_cluster_mode_the_initiator_writes_the_ICR_once_per_cluster_of_16_CPUs_among_the_targets(int targets, int writes)
    {
        var h = new Harness(Harness.Cpus(48, shorthand: false));
        var mm = h.MmOn([.. Enumerable.Range(0, targets + 1)]);
        var t = h.Once(0, c => h.Kernel.FlushTlbMmRange(c, mm, 1, freedTables: false));
        for (int i = 1; i <= targets; i++)
            h.Busy(i);
        h.RunFor(1000);
        Assert.Equal(writes, h.Machine.Bus.IcrWrites);
        Assert.Equal(targets, h.Machine.Bus.IpisSent);
        var apic = h.Machine.Params.Apic;
        // Target i's cluster is written after the clusters before it: one write per cluster in CPU order.
        var writtenAt = Enumerable.Range(1, targets).Select(i => apic.IcrWrite * (h.Machine.Topology.ClusterOf(i) + 1)).ToArray();
        Assert.Equal(Expected(h, writtenAt, apic.IcrWrite * writes, h.Machine.Params.Tlb.Invlpg), t.Latency);
    }
}
