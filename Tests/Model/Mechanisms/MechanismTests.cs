using TlbSim.Model.Hardware;
using TlbSim.Model.Linux;
using TlbSim.Model.Mechanisms;
using TlbSim.Model.Memory;
using TlbSim.Model.Units;
using TlbSim.Model.Workloads;
using TlbSim.Scenarios.Loading;
using Xunit;
using Xunit.Abstractions;

namespace TlbSim.Tests.Model.Mechanisms;

/// <summary>Does each mechanism use the kernel primitives its design implies, with the flushes the threads argue about?</summary>
public class MechanismTests(ITestOutputHelper output)
{
    internal sealed class Recorder : IRunObserver
    {
        public List<Duration> Latencies { get; } = [];

        public List<int> Kinds { get; } = [];

        public void Operation(int kind, Duration latency)
        {
            Latencies.Add(latency);
            Kinds.Add(kind);
        }

        public void Sample(Duration time, string metric, double value)
        {
        }

        public double MeanNs => Latencies.Count == 0 ? 0 : Latencies.Average(l => l.TotalNanoseconds);
    }

    internal static RunSpec Spec(string mechanism, int cpus, MechanismParams? options = null, WorkloadParams? workload = null, double rate = 5000, double ms = 5, double warmupMs = 1) => new()
    {
        Machine = new MachineParams { Topology = new TopologyParams { Sockets = 1, CoresPerSocket = cpus, ThreadsPerCore = 1 }, Memory = ByteSize.FromGiB(16) },
        Kernel = new KernelParams(),
        Workload = workload ?? WorkloadPresets.KernelBuild,
        MechanismParams = options ?? new MechanismParams(),
        Operations = new OperationParams { Rate = rate, Initiators = 1 },
        Mechanism = mechanism,
        Design = () => Designs.Builtin.Create(mechanism),
        Duration = Duration.FromMilliseconds(ms),
        Warmup = Duration.FromMilliseconds(warmupMs),
        Seed = 7,
        Check = true,
    };

    internal static (RunOutcome Outcome, Recorder Recorder) Run(RunSpec spec)
    {
        var recorder = new Recorder();
        return (Experiment.Run(spec, recorder), recorder);
    }

    [Fact]
    public void Temporary_mm_writes_send_no_IPI_at_any_CPU_count_and_their_latency_does_not_grow_with_CPU_count()
    {
        var means = new List<double>();
        foreach (int cpus in new[] { 4, 16, 64 })
        {
            var (outcome, rec) = Run(Spec("temporary_mm", cpus, workload: WorkloadPresets.Idle));
            output.WriteLine($"{cpus} CPUs: {rec.Latencies.Count} writes, mean {rec.MeanNs:F1} ns, {outcome.Ipis} IPIs");
            Assert.True(rec.Latencies.Count > 10);
            Assert.Equal(0, outcome.Ipis);
            Assert.Equal(0, outcome.Shootdowns);
            means.Add(rec.MeanNs);
        }
        Assert.True(means.Max() - means.Min() < 1, $"latency changed with CPU count: {string.Join(", ", means)}");
    }

    [Fact]
    public void Rare_alloc_protection_sends_one_IPI_to_every_other_online_CPU_per_call_and_splits_each_touched_1G_and_2M_region_once()
    {
        const int cpus = 8;
        var (outcome, rec) = Run(Spec("rare_alloc", cpus, workload: WorkloadPresets.Idle, rate: 2000, ms: 10, warmupMs: 0));
        long calls = rec.Latencies.Count;
        // Pool pages are contiguous: the first call splits its 1G and 2M pages; calls stay inside one 2M region here.
        Assert.True(calls is > 5 and < 512, $"{calls} calls");
        var map = outcome;
        Assert.Equal(16 - 1, map.DirectMap1G);
        Assert.Equal(512, map.DirectMap4K);
        // One cpa_flush round per call, plus the flush_tlb_all of the first call's two splits; a call still running
        // when the window closes may have flushed without reporting its latency.
        Assert.InRange(outcome.Shootdowns, calls + 2, calls + 3);
        Assert.Equal(outcome.Shootdowns * (cpus - 1), outcome.Ipis);
    }

    [Fact]
    public void Map_exclusive_with_the_chunk_cache_splits_far_less_than_without()
    {
        var without = Run(Spec("map_exclusive", 4, new MechanismParams { ExclusivePlacement = FramePlacement.Uniform }, rate: 20_000, ms: 5)).Outcome;
        var with = Run(Spec("map_exclusive", 4, new MechanismParams { ChunkCache = true }, rate: 20_000, ms: 5)).Outcome;
        long splitsWithout = 16 - without.DirectMap1G + without.DirectMap4K / 512;
        long splitsWith = 16 - with.DirectMap1G + with.DirectMap4K / 512;
        output.WriteLine($"splits without cache {splitsWithout} (1G {16 - without.DirectMap1G}), with cache {splitsWith}; shootdowns {without.Shootdowns} vs {with.Shootdowns}");
        Assert.True(splitsWith * 10 < splitsWithout, $"{splitsWith} vs {splitsWithout}");
        Assert.True(with.Shootdowns * 10 < without.Shootdowns);
    }

    [Fact]
    public void Xpfo_s_deferred_and_refill_batched_policies_send_no_IPI_where_immediate_sends_a_shootdown_per_unmapping()
    {
        var workload = WorkloadPresets.KernelBuild with { VfreeRate = 0 };
        (RunOutcome Outcome, long Unmaps) Xpfo(XpfoFlushPolicy policy)
        {
            var (outcome, rec) = Run(Spec("xpfo", 4, new MechanismParams { XpfoPolicy = policy }, workload: workload, ms: 3, warmupMs: 0));
            return (outcome, rec.Kinds.Count(k => k == 0));
        }
        var immediate = Xpfo(XpfoFlushPolicy.Immediate);
        Assert.True(immediate.Unmaps > 100);
        Assert.InRange(immediate.Outcome.Shootdowns, immediate.Unmaps, immediate.Unmaps + 4); // unmappings still in flight at the end
        foreach (var policy in new[] { XpfoFlushPolicy.DeferredPerTask, XpfoFlushPolicy.DeferredGlobal, XpfoFlushPolicy.RefillBatched })
        {
            var (outcome, unmaps) = Xpfo(policy);
            output.WriteLine($"{policy}: {unmaps} unmappings, {outcome.Shootdowns} shootdowns, {outcome.Ipis} IPIs, {outcome.FullFlushes} full flushes");
            Assert.True(unmaps > 100);
            Assert.Equal(0, outcome.Ipis);
            if (policy != XpfoFlushPolicy.DeferredPerTask) // v7's are taken only by CPUs that run the posting task (below)
                Assert.True(outcome.FullFlushes > 0, "the pending flushes are taken at context switches");
        }
    }

    [Fact]
    public void Per_field_prlist_insertion_performs_4x_the_remappings_of_node_grouped_insertion()
    {
        // No warm-up, so every remap is counted; a rate low enough that no insertion is cut off at the end.
        var perField = Run(Spec("prlist", 4, new MechanismParams { PrlistGrouping = PrlistGrouping.PerField }, workload: WorkloadPresets.Idle, rate: 1000, ms: 5, warmupMs: 0));
        var perNode = Run(Spec("prlist", 4, new MechanismParams { PrlistGrouping = PrlistGrouping.PerNode }, workload: WorkloadPresets.Idle, rate: 1000, ms: 5, warmupMs: 0));
        // An insertion still in progress when the measured window closes has done some of its remaps.
        Assert.InRange(perField.Outcome.Remaps, 8L * perField.Recorder.Latencies.Count, 8L * perField.Recorder.Latencies.Count + 7);
        Assert.InRange(perNode.Outcome.Remaps, 2L * perNode.Recorder.Latencies.Count, 2L * perNode.Recorder.Latencies.Count + 1);
        Assert.Equal(perField.Recorder.Latencies.Count, perNode.Recorder.Latencies.Count);
        Assert.Equal(4.0, (double)perField.Outcome.Remaps / perNode.Outcome.Remaps, 9);
    }

    [Fact]
    public void Pku_and_pks_switches_flush_nothing()
    {
        foreach (var name in new[] { "pku", "pks" })
        {
            var (outcome, rec) = Run(Spec(name, 4, new MechanismParams { PksTagEvery = 1 << 30, PkuTagEvery = 1 << 30 }, rate: 20_000));
            Assert.True(rec.Latencies.Count > 50);
            Assert.Equal(0, outcome.Shootdowns);
            Assert.Equal(0, outcome.Ipis);
            Assert.Equal(0, outcome.FullFlushes);
        }
    }

    [Fact]
    public void Droppable_drops_flush_only_CPUs_in_the_mm_cpumask()
    {
        // One task per CPU: the process's threads stay loaded on cpu0-2, so every drop reaches both others.
        var spec = Spec("droppable", 8, new MechanismParams { DroppableProcessCpus = 3 }, workload: WorkloadPresets.KernelBuild with { TasksPerCpu = 1 }, rate: 2000);
        var (outcome, rec) = Run(spec);
        long drops = rec.Latencies.Count;
        Assert.True(drops > 3);
        // Initiator cpu0 is in the process's cpumask {0,1,2}: each drop IPIs cpu1 and cpu2 only.
        Assert.Equal(drops, outcome.Shootdowns);
        Assert.Equal(2 * drops, outcome.Ipis);
    }

    [Fact]
    public void Every_registered_mechanism_runs_and_reports_operations()
    {
        foreach (var name in Designs.Builtin.Names)
        {
            var (outcome, rec) = Run(Spec(name, 4, ms: 2));
            output.WriteLine($"{name}: {rec.Latencies.Count} ops, mean {rec.MeanNs:F0} ns, {outcome.Ipis} IPIs, walk share {outcome.TimeShare[TimeCategory.Walk]:P2}, workload {outcome.TimeShare[TimeCategory.Workload]:P1}");
            Assert.True(rec.Latencies.Count > 0, name);
            Assert.Equal(1.0, outcome.TimeShare.Values.Sum(), 6);
        }
    }

    [Fact]
    public void A_lazy_vmap_alias_write_sends_no_IPI_and_an_eager_one_flushes_the_alias_on_every_CPU_once_per_write()
    {
        var lazy = Run(Spec("vmap_alias", 8, new MechanismParams { AliasFlush = AliasFlush.Lazy }, workload: WorkloadPresets.Idle, rate: 5000, warmupMs: 0));
        var eager = Run(Spec("vmap_alias", 8, new MechanismParams { AliasFlush = AliasFlush.Eager }, workload: WorkloadPresets.Idle, rate: 5000, warmupMs: 0));
        output.WriteLine($"lazy: {lazy.Recorder.Latencies.Count} writes, mean {lazy.Recorder.MeanNs:F0} ns, {lazy.Outcome.Ipis} IPIs; eager: mean {eager.Recorder.MeanNs:F0} ns, {eager.Outcome.Shootdowns} shootdowns");
        Assert.True(lazy.Recorder.Latencies.Count > 10);
        Assert.Equal(0, lazy.Outcome.Ipis);
        Assert.InRange(eager.Outcome.Shootdowns, eager.Recorder.Latencies.Count, eager.Recorder.Latencies.Count + 1);
        Assert.True(eager.Recorder.MeanNs > 5 * lazy.Recorder.MeanNs);
    }

    [Theory]
    [InlineData(AliasFlush.Lazy)]
    [InlineData(AliasFlush.Eager)]
    public void A_per_field_prlist_insertion_remaps_8_times_and_a_node_grouped_one_2_times_under_either_alias_flush(AliasFlush flush)
    {
        var perField = Run(Spec("prlist", 4, new MechanismParams { PrlistGrouping = PrlistGrouping.PerField, AliasFlush = flush }, workload: WorkloadPresets.Idle, rate: 1000, warmupMs: 0));
        var perNode = Run(Spec("prlist", 4, new MechanismParams { PrlistGrouping = PrlistGrouping.PerNode, AliasFlush = flush }, workload: WorkloadPresets.Idle, rate: 1000, warmupMs: 0));
        // An insertion still in progress when the measured window closes has done some of its remaps.
        Assert.InRange(perField.Outcome.Remaps, 8L * perField.Recorder.Latencies.Count, 8L * perField.Recorder.Latencies.Count + 7);
        Assert.InRange(perNode.Outcome.Remaps, 2L * perNode.Recorder.Latencies.Count, 2L * perNode.Recorder.Latencies.Count + 1);
        long expectedShootdowns = flush == AliasFlush.Eager ? perField.Outcome.Remaps : 0;
        Assert.Equal(expectedShootdowns, perField.Outcome.Shootdowns);
    }

    [Fact]
    public void Rare_modify_pays_a_purge_flush_when_background_vfrees_left_lazy_areas_pending()
    {
        // kernel_build frees VMAP_STACK stacks lazily: every set_memory_* starts with vm_unmap_aliases.
        var withTraffic = Run(Spec("rare_modify", 8, rate: 2000, ms: 10));
        var without = Run(Spec("rare_modify", 8, workload: WorkloadPresets.KernelBuild with { VfreeRate = 0 }, rate: 2000, ms: 10));
        double perOpWith = (double)withTraffic.Outcome.Shootdowns / withTraffic.Recorder.Latencies.Count;
        double perOpWithout = (double)without.Outcome.Shootdowns / without.Recorder.Latencies.Count;
        output.WriteLine($"shootdowns per write: {perOpWith:F2} with background vfrees, {perOpWithout:F2} without");
        Assert.InRange(perOpWithout, 2.0, 2.2); // set_memory_rw and set_memory_ro: one flush_tlb_all each
        Assert.True(perOpWith > perOpWithout);
    }

    [Fact]
    public void Xpfo_reports_unmap_and_map_as_separate_series_and_only_unmapping_flushes()
    {
        var (outcome, rec) = Run(Spec("xpfo", 4, ms: 2));
        var unmap = rec.Latencies.Where((_, i) => rec.Kinds[i] == 0).ToList();
        var map = rec.Latencies.Where((_, i) => rec.Kinds[i] == 1).ToList();
        Assert.True(unmap.Count > 10 && map.Count > 10);
        Assert.Equal(["unmap", "map"], Registry.Create("xpfo").OperationKinds);
        Assert.True(map.Max() < unmap.Min(), "mapping back must not wait for a shootdown");
        Assert.True(outcome.Shootdowns >= unmap.Count);
    }

    [Fact]
    public void Xpfo_v7_s_deferred_flush_is_taken_only_by_CPUs_that_switch_to_the_task_that_posted_it_and_v9_s_by_every_CPU_at_its_next_switch()
    {
        // Tasks rarely migrate: under v7 a CPU seldom runs a task that posted a flush for it; under v9 every
        // switch after an unmapping elsewhere flushes.
        var workload = WorkloadPresets.KernelBuild with { VfreeRate = 0, TaskMigration = 0.01 };
        long FullFlushes(XpfoFlushPolicy policy) => Run(Spec("xpfo", 4, new MechanismParams { XpfoPolicy = policy }, workload: workload, ms: 5)).Outcome.FullFlushes;
        long perTask = FullFlushes(XpfoFlushPolicy.DeferredPerTask), global = FullFlushes(XpfoFlushPolicy.DeferredGlobal);
        output.WriteLine($"full flushes: deferred_per_task {perTask}, deferred_global {global}");
        Assert.True(global > 2 * perTask, $"{global} vs {perTask}");
    }

    [Fact]
    public void Refill_batched_xpfo_unmaps_a_per_CPU_list_refill_at_once_and_the_other_allocations_from_it_cost_nothing()
    {
        const int batch = 16;
        var p = new MechanismParams { XpfoPolicy = XpfoFlushPolicy.RefillBatched, XpfoBatch = batch };
        var (outcome, rec) = Run(Spec("xpfo", 4, p, workload: WorkloadPresets.KernelBuild with { VfreeRate = 0 }, ms: 2, warmupMs: 0));
        var cpa = new KernelParams().CpaPerPage;
        var unmaps = rec.Latencies.Zip(rec.Kinds).Where(x => x.Second == 0).Select(x => x.First).ToList();
        int refills = unmaps.Count(l => l >= cpa * batch);
        output.WriteLine($"{unmaps.Count} unmappings, {refills} refills, {outcome.FullFlushes} full flushes, {outcome.Ipis} IPIs");
        Assert.InRange(refills, unmaps.Count / batch - 4, unmaps.Count / batch); // up to one partial refill per CPU
        Assert.All(unmaps.Where(l => l < cpa * batch), l => Assert.True(l < cpa, $"an allocation from the refilled list took {l}"));
        Assert.Equal(0, outcome.Ipis);
    }

    [Fact]
    public void Map_exclusive_pages_from_the_buddy_allocator_split_far_less_than_uniformly_placed_pages()
    {
        var buddy = Run(Spec("map_exclusive", 4, new MechanismParams { ExclusivePlacement = FramePlacement.Buddy }, rate: 20_000, ms: 5)).Outcome;
        var uniform = Run(Spec("map_exclusive", 4, new MechanismParams { ExclusivePlacement = FramePlacement.Uniform }, rate: 20_000, ms: 5)).Outcome;
        long Splits(RunOutcome o) => 16 - o.DirectMap1G + o.DirectMap4K / 512;
        output.WriteLine($"splits: buddy {Splits(buddy)}, uniform {Splits(uniform)}");
        Assert.True(Splits(buddy) * 10 < Splits(uniform));
    }

    [Fact]
    public void Pku_tagging_with_pkey_mprotect_flushes_the_page_on_the_process_s_other_CPUs()
    {
        // Always busy, one task per CPU: the process's threads stay loaded and never lazy on cpu0-3.
        var spec = Spec("pku", 4, new MechanismParams { PkuTagEvery = 1, DroppableProcessCpus = 4 }, workload: WorkloadPresets.KernelBuild with { TasksPerCpu = 1, VfreeRate = 0, BusyFraction = 1 }, rate: 2000);
        var (outcome, rec) = Run(spec);
        Assert.True(rec.Latencies.Count > 3);
        Assert.InRange(outcome.Shootdowns, rec.Latencies.Count, rec.Latencies.Count + 1);
        Assert.Equal(3 * outcome.Shootdowns, outcome.Ipis);
    }

    [Fact]
    public void Pks_makes_every_interrupt_entry_pay_the_PKRS_save_and_restore()
    {
        Duration FlushLatency(bool pks)
        {
            var h = new Harness(Harness.Cpus(2));
            var context = new MechanismContext(h.Kernel, new MechanismParams(), new System.Random(1));
            if (pks)
                Designs.Builtin.Create("pks").Attach(context);
            var t = h.Once(0, c => h.Kernel.FlushTlbKernelRange(c, 1, PageSize.Size4K));
            h.Busy(1);
            h.RunFor(100);
            return t.Latency;
        }
        var p = new MechanismParams();
        var expected = Frequency.Parse("3.4GHz").Cycles(p.PksEntryCycles);
        Assert.Equal(expected, FlushLatency(pks: true) - FlushLatency(pks: false));
    }

    [Fact]
    public void Temporary_mm_writes_from_two_CPUs_at_once_serialise_on_text_mutex()
    {
        var h = new Harness(Harness.Cpus(2));
        var context = new MechanismContext(h.Kernel, new MechanismParams(), new System.Random(1));
        var mechanism = Designs.Builtin.Create("temporary_mm");
        var first = h.Once(0, c => mechanism.Operate(context, c));
        var second = h.Once(1, c => mechanism.Operate(context, c));
        h.RunFor(100);
        Assert.Equal(first.Start, second.Start);
        Assert.Equal(first.Latency * 2, second.Latency); // it waited for the whole first write
    }

    [Fact]
    public void A_flush_of_a_user_mm_sends_no_IPI_to_the_process_s_CPUs_that_went_idle_and_lazy()
    {
        // Every CPU idle: cpu0 wakes for its pkey_mprotect calls; the process's threads on cpu1-3 sleep in lazy
        // TLB mode (or on init_mm after leave_mm in C6), which should_flush_tlb skips.
        var spec = Spec("pku", 8, new MechanismParams { PkuTagEvery = 1, DroppableProcessCpus = 4 }, workload: WorkloadPresets.Idle, rate: 2000);
        var (outcome, rec) = Run(spec);
        Assert.True(rec.Latencies.Count > 3);
        Assert.Equal(0, outcome.Ipis);
        // The same process fully busy: every call reaches the three other threads.
        var busy = Run(spec with { Workload = WorkloadPresets.KernelBuild with { TasksPerCpu = 1, VfreeRate = 0, BusyFraction = 1 } });
        Assert.True(busy.Outcome.Ipis >= 3 * busy.Recorder.Latencies.Count);
    }

    [Fact]
    public void The_page_allocator_hands_out_consecutive_frames_of_one_4_MiB_block_and_aligned_2M_chunks_from_it()
    {
        var h = new Harness(Harness.Cpus(2));
        var context = new MechanismContext(h.Kernel, new MechanismParams(), new System.Random(3));
        long first = context.AllocFrame();
        Assert.Equal(0, first % MechanismContext.MaxOrderFrames); // a fresh block
        Assert.Equal(first + 1, context.AllocFrame());
        long chunk = context.AllocFrames(512);
        Assert.Equal(first + 512, chunk); // the block's aligned second half
        long next = context.AllocFrames(512); // nothing aligned is left: a new block
        Assert.Equal(0, next % MechanismContext.MaxOrderFrames);
    }

    [Theory]
    [InlineData(false, 5, 15)]
    [InlineData(true, 5, 3)]
    [InlineData(true, 300, 6)]
    public void A_static_key_flip_does_three_sync_rounds_per_site_unbatched_and_per_256_sites_batched(bool batch, int sites, int rounds)
    {
        var h = new Harness(Harness.Cpus(4));
        var context = new MechanismContext(h.Kernel, new MechanismParams { StaticKeyBatch = batch, StaticKeySites = sites, StaticKeySiteRate = 0 }, h.Sim.Random.Stream("m"));
        var syncs = new List<Duration>();
        context.Reporter = (kind, latency) => syncs.Add(latency);
        var t = h.Once(0, c => new StaticKey().Operate(context, c));
        for (int i = 1; i < 4; i++)
            h.Busy(i);
        h.RunFor(20_000);
        Assert.NotNull(t.End);
        Assert.Equal(rounds, h.Kernel.Shootdowns);
        Assert.Equal(rounds, syncs.Count);
        Assert.Equal(3L * rounds, h.Machine.Bus.IpisSent);
    }

    [Fact]
    public void CPUs_executing_a_key_s_sites_during_the_patch_pay_int3_traps_and_idle_keys_cost_nothing()
    {
        double Kernel(double rate)
        {
            var spec = Spec("static_key", 4, new MechanismParams { StaticKeySiteRate = rate, StaticKeySites = 50 }, rate: 2000);
            var (outcome, recorder) = Run(spec);
            Assert.True(recorder.Latencies.Count > 5);
            return outcome.TimeShare[TimeCategory.Kernel];
        }
        Assert.True(Kernel(5_000_000) > Kernel(0), "trapping CPUs spend kernel time in poke_int3_handler");
    }
}
