using TlbSim.Model.Hardware;
using TlbSim.Model.Linux;
using TlbSim.Model.Mechanisms;
using TlbSim.Model.Units;
using TlbSim.Model.Workloads;
using Xunit;
using Xunit.Abstractions;

namespace TlbSim.Tests.Model.Mechanisms;

/// <summary>Does each mechanism use the kernel primitives its design implies, with the flushes the threads argue about?</summary>
public class MechanismTests(ITestOutputHelper output)
{
    internal sealed class Recorder : IRunObserver
    {
        public List<Duration> Latencies { get; } = [];

        public void Operation(Duration latency) => Latencies.Add(latency);

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
        var without = Run(Spec("map_exclusive", 4, rate: 20_000, ms: 5)).Outcome;
        var with = Run(Spec("map_exclusive", 4, new MechanismParams { ChunkCache = true }, rate: 20_000, ms: 5)).Outcome;
        long splitsWithout = 16 - without.DirectMap1G + without.DirectMap4K / 512;
        long splitsWith = 16 - with.DirectMap1G + with.DirectMap4K / 512;
        output.WriteLine($"splits without cache {splitsWithout} (1G {16 - without.DirectMap1G}), with cache {splitsWith}; shootdowns {without.Shootdowns} vs {with.Shootdowns}");
        Assert.True(splitsWith * 10 < splitsWithout, $"{splitsWith} vs {splitsWithout}");
        Assert.True(with.Shootdowns * 10 < without.Shootdowns);
    }

    [Fact]
    public void Xpfo_deferred_and_batched_policies_send_fewer_shootdowns_than_immediate()
    {
        long Shootdowns(XpfoFlushPolicy policy) =>
            Run(Spec("xpfo", 4, new MechanismParams { XpfoPolicy = policy }, ms: 3)).Outcome.Shootdowns;
        long immediate = Shootdowns(XpfoFlushPolicy.Immediate);
        long deferred = Shootdowns(XpfoFlushPolicy.Deferred);
        long batched = Shootdowns(XpfoFlushPolicy.Batched);
        output.WriteLine($"immediate {immediate}, deferred {deferred}, batched {batched}");
        Assert.True(deferred * 5 < immediate);
        Assert.True(batched * 5 < immediate);
    }

    [Fact]
    public void Per_field_prlist_insertion_performs_4x_the_remappings_of_node_grouped_insertion()
    {
        // No warm-up, so every remap is counted; a rate low enough that no insertion is cut off at the end.
        var perField = Run(Spec("prlist", 4, new MechanismParams { PrlistGrouping = PrlistGrouping.PerField }, workload: WorkloadPresets.Idle, rate: 1000, ms: 5, warmupMs: 0));
        var perNode = Run(Spec("prlist", 4, new MechanismParams { PrlistGrouping = PrlistGrouping.PerNode }, workload: WorkloadPresets.Idle, rate: 1000, ms: 5, warmupMs: 0));
        Assert.Equal(8L * perField.Recorder.Latencies.Count, perField.Outcome.Remaps);
        Assert.Equal(2L * perNode.Recorder.Latencies.Count, perNode.Outcome.Remaps);
        Assert.Equal(perField.Recorder.Latencies.Count, perNode.Recorder.Latencies.Count);
        Assert.Equal(4.0, (double)perField.Outcome.Remaps / perNode.Outcome.Remaps, 9);
    }

    [Fact]
    public void Pku_and_pks_switches_flush_nothing()
    {
        foreach (var name in new[] { "pku", "pks" })
        {
            var (outcome, rec) = Run(Spec(name, 4, new MechanismParams { PksTagEvery = 1 << 30 }, rate: 20_000));
            Assert.True(rec.Latencies.Count > 50);
            Assert.Equal(0, outcome.Shootdowns);
            Assert.Equal(0, outcome.Ipis);
            Assert.Equal(0, outcome.FullFlushes);
        }
    }

    [Fact]
    public void Droppable_drops_flush_only_CPUs_in_the_mm_cpumask()
    {
        var spec = Spec("droppable", 8, new MechanismParams { DroppableProcessCpus = 3 }, rate: 2000) with
        {
            Operations = new OperationParams { Rate = 2000, Initiators = 1 },
        };
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
        foreach (var name in Registry.Names)
        {
            var (outcome, rec) = Run(Spec(name, 4, ms: 2));
            output.WriteLine($"{name}: {rec.Latencies.Count} ops, mean {rec.MeanNs:F0} ns, {outcome.Ipis} IPIs, walk share {outcome.TimeShare[TimeCategory.Walk]:P2}, workload {outcome.TimeShare[TimeCategory.Workload]:P1}");
            Assert.True(rec.Latencies.Count > 0, name);
            Assert.Equal(1.0, outcome.TimeShare.Values.Sum(), 6);
        }
    }
}
