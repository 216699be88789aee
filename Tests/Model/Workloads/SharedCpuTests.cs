using TlbSim.Model.Linux;
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

/// <summary>Does a long operation lose its CPU between its rounds where, and only where, the preemption model lets it?</summary>
public class PreemptionTests
{
    private static (RunOutcome Outcome, List<Duration> Latencies) Flips(PreemptModel model, bool batched, int sites)
    {
        var busy = WorkloadPresets.KernelBuild with { BusyFraction = 1, JobsPerCpu = 2 };
        var options = new MechanismParams { StaticKeySites = sites, StaticKeyBatch = batched };
        var spec = MechanismTests.Spec("static_key", 4, options, workload: busy, rate: 150, ms: 80) with { Kernel = new KernelParams { Preempt = model } };
        var (outcome, recorder) = MechanismTests.Run(spec);
        return (outcome, recorder.Latencies.Where((_, i) => recorder.Kinds[i] == 0).ToList());
    }

    [Fact]
    public void An_unbatched_flip_is_never_preempted_under_none_and_loses_its_CPU_between_sites_under_voluntary_and_full()
    {
        // Before 5.5 each site is its own text_poke_bp under text_mutex: mutex_lock's might_sleep is a point
        // under voluntary, every poke and sync's end under full; jump_label.c has no cond_resched.
        var none = Flips(PreemptModel.None, batched: false, sites: 1200);
        var voluntary = Flips(PreemptModel.Voluntary, batched: false, sites: 1200);
        var full = Flips(PreemptModel.Full, batched: false, sites: 1200);
        Assert.Equal(0, none.Outcome.Preemptions);
        Assert.True(voluntary.Outcome.Preemptions > 0, $"{voluntary.Outcome.Preemptions} preemptions, {voluntary.Latencies.Count} flips, max {voluntary.Latencies.Max()}, mean {voluntary.Latencies.Average(l => l.TotalMilliseconds)} ms");
        Assert.True(full.Outcome.Preemptions >= voluntary.Outcome.Preemptions);
        Assert.True(voluntary.Latencies.Max() > none.Latencies.Max(), $"a preempted flip waits for the other job's turn: {voluntary.Latencies.Max()} vs {none.Latencies.Max()}");
    }

    [Fact]
    public void A_batched_flip_is_preempted_under_none_only_at_the_cond_resched_before_each_batch()
    {
        // Since 6.5 smp_text_poke_batch_finish opens every batch of 256 with cond_resched: under none that is
        // the only point, so a flip of one batch is never preempted and one of many batches only between them.
        var one = Flips(PreemptModel.None, batched: true, sites: 256);
        var many = Flips(PreemptModel.None, batched: true, sites: 256 * 40);
        Assert.Equal(0, one.Outcome.Preemptions);
        Assert.True(many.Outcome.Preemptions > 0, "a flip of forty batches outlasts its turn");
        Assert.True(many.Outcome.Preemptions <= many.Latencies.Count * 39 + 39, "at most once per batch boundary");
    }

    [Fact]
    public void Under_lazy_preemption_a_flip_loses_its_CPU_like_full_but_a_tick_later()
    {
        // A flip of 100 batches takes about 16 ms: several 3 ms turns at 4 ms ticks.
        var lazy = Flips(PreemptModel.Lazy, batched: true, sites: 256 * 100);
        var full = Flips(PreemptModel.Full, batched: true, sites: 256 * 100);
        Assert.True(lazy.Outcome.Preemptions > 0, $"lazy {lazy.Outcome.Preemptions}, full {full.Outcome.Preemptions}, flips {lazy.Latencies.Count}, max {lazy.Latencies.DefaultIfEmpty().Max()}");
        Assert.True(lazy.Outcome.Preemptions <= full.Outcome.Preemptions, $"lazy {lazy.Outcome.Preemptions}, full {full.Outcome.Preemptions}");
    }

    [Fact]
    public void A_task_alone_on_its_CPU_is_never_preempted()
    {
        var alone = WorkloadPresets.KernelBuild with { BusyFraction = 1, JobsPerCpu = 1 };
        var spec = MechanismTests.Spec("static_key", 4, new MechanismParams { StaticKeySites = 400, StaticKeyBatch = false }, workload: alone, rate: 150, ms: 40)
            with { Kernel = new KernelParams { Preempt = PreemptModel.Full } };
        Assert.Equal(0, MechanismTests.Run(spec).Outcome.Preemptions);
    }
}
