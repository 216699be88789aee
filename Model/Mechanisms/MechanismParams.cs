using TlbSim.Model.Parameters;
using TlbSim.Model.Units;

namespace TlbSim.Model.Mechanisms;

/// <summary>XPFO's ways of flushing the direct-map change of a page ownership transition.</summary>
public enum XpfoFlushPolicy
{
    /// <summary>A global shootdown (flush_tlb_kernel_range of the page) on every transition, as XPFO v6/v7 did.</summary>
    Immediate,

    /// <summary>Flush locally now; other CPUs are flushed by one flush_tlb_all when the deferral interval ends.</summary>
    Deferred,

    /// <summary>Flush locally now; other CPUs are flushed once per batch of transitions, with one flush_tlb_kernel_range.</summary>
    Batched,
}

/// <summary>How prlist remaps a node for an insertion.</summary>
public enum PrlistGrouping
{
    /// <summary>One remapping per written field (8 for a doubly linked insertion).</summary>
    PerField,

    /// <summary>One remapping per touched node (2).</summary>
    PerNode,
}

/// <summary>Costs shared by the mechanisms and the options of each one.</summary>
public sealed record MechanismParams : IParameters
{
    /// <summary>The protected store itself.</summary>
    [Param("The write being protected: one store to kernel data", Source = "no figure needed beyond order: an L2-hitting store; chosen")]
    public Duration Write { get; init; } = Duration.FromNanoseconds(10);

    /// <summary>Page allocation.</summary>
    [Param("alloc_pages of one page from the buddy allocator's per-CPU lists", Source = "no published figure; ~200 ns, the order of a cache-missing list operation and page initialisation")]
    public Duration PageAlloc { get; init; } = Duration.FromNanoseconds(200);

    /// <summary>vmap of one page.</summary>
    [Param("vmap of one page: find a vmalloc area, install one PTE", Source = "no published figure; taken as 300 ns (a VA tree lookup plus a PTE write)")]
    public Duration Vmap { get; init; } = Duration.FromNanoseconds(300);

    /// <summary>vunmap of one page (before its flush).</summary>
    [Param("vunmap of one page before its flush: clear the PTE, free the area", Source = "no published figure; taken as 100 ns")]
    public Duration Vunmap { get; init; } = Duration.FromNanoseconds(100);

    /// <summary>WRPKRU.</summary>
    [Param("One WRPKRU", Unit = "cycles", Source = "no published cycle count (CALIBRATION.md); 26 cycles chosen, the order of a non-serializing register write described as relatively expensive; sweep it")]
    public double WrpkruCycles { get; init; } = 26;

    /// <summary>WRMSR to IA32_PKRS.</summary>
    [Param("One WRMSR to IA32_PKRS (not serializing)", Unit = "cycles", Source = "no published figure; taken as the ~100-cycle WRMSR of an x2APIC ICR write")]
    public double WrmsrPkrsCycles { get; init; } = 100;

    /// <summary>Copy bandwidth for rare_write_copy.</summary>
    [Param("Copy bandwidth of rare_write_copy through the poking address", Unit = "bytes/s", Source = "~10 GB/s single-core memcpy of cached data; chosen")]
    public double CopyBytesPerSecond { get; init; } = 10e9;

    /// <summary>Pages per rare_alloc.</summary>
    [Param("Pages a rare_alloc takes from the pool and protects", Unit = "pages", Source = "one page per call, prmem's common case")]
    public int RareAllocPages { get; init; } = 1;

    /// <summary>Bytes per temporary-mm write.</summary>
    [Param("Bytes written per temporary_mm operation (8: rare_write of a pointer; more: rare_write_copy)", Unit = "bytes", Source = "seed 000: rare_write(&q->a, y)")]
    public int TemporaryMmBytes { get; init; } = 8;

    /// <summary>prlist remapping.</summary>
    [Param("prlist remapping: per_field (8 remaps per insertion) or per_node (2)", Source = "seed 001")]
    public PrlistGrouping PrlistGrouping { get; init; } = PrlistGrouping.PerField;

    /// <summary>memfd_secret chunk cache.</summary>
    [Param("map_exclusive takes pages from a cache of 2M chunks, so one split serves 512 pages", Source = "lore:20220127085608.306306-1-rppt@kernel.org (unmapped-page cache)")]
    public bool ChunkCache { get; init; }

    /// <summary>Resident secret pages.</summary>
    [Param("map_exclusive pages kept mapped; beyond this the oldest is unmapped and returns to the direct map", Unit = "pages", Source = "chosen: a few MiB of secrets per process")]
    public int ExclusiveResidentPages { get; init; } = 512;

    /// <summary>XPFO flush policy.</summary>
    [Param("XPFO flush policy: immediate, deferred or batched", Source = "XPFO v7 (immediate); deferred and batched are the proposed mitigations")]
    public XpfoFlushPolicy XpfoPolicy { get; init; } = XpfoFlushPolicy.Immediate;

    /// <summary>XPFO batch size.</summary>
    [Param("Transitions per batched XPFO flush", Unit = "transitions", Source = "chosen; sweep it")]
    public int XpfoBatch { get; init; } = 32;

    /// <summary>XPFO deferral interval.</summary>
    [Param("Longest a deferred XPFO flush waits before one flush_tlb_all", Source = "chosen: one scheduler tick (1 ms at HZ=1000)")]
    public Duration XpfoDeferInterval { get; init; } = Duration.FromMilliseconds(1);

    /// <summary>PKS tagging rate.</summary>
    [Param("One pks operation in this many tags a new page with the write-rare key (set_memory_pkey)", Unit = "operations", Source = "chosen: pages are tagged as pools grow")]
    public int PksTagEvery { get; init; } = 64;

    /// <summary>PKS grouping.</summary>
    [Param("Tagged pages are grouped in dedicated 2M chunks, so tagging splits only when a chunk starts", Source = "the PKS series' grouped allocation")]
    public bool PksGroupTagged { get; init; }

    /// <summary>VM_DROPPABLE batch.</summary>
    [Param("Pages reclaim drops from the droppable mapping per pass (one batched flush)", Unit = "pages", Source = "SWAP_CLUSTER_MAX = 32")]
    public int DroppableBatch { get; init; } = 32;

    /// <summary>CPUs the droppable mapping's process runs on.</summary>
    [Param("CPUs the process owning the droppable mapping runs on (its mm_cpumask)", Unit = "cpus", Source = "chosen: a 4-thread process")]
    public int DroppableProcessCpus { get; init; } = 4;

    /// <inheritdoc />
    public IEnumerable<string> Validate(string path) =>
        new[]
        {
            Check.NonNegative(path, "write", Write), Check.NonNegative(path, "page_alloc", PageAlloc),
            Check.NonNegative(path, "vmap", Vmap), Check.NonNegative(path, "vunmap", Vunmap),
            Check.Range(path, "wrpkru_cycles", WrpkruCycles, 0, 1e6), Check.Range(path, "wrmsr_pkrs_cycles", WrmsrPkrsCycles, 0, 1e6),
            Check.Range(path, "copy_bytes_per_second", CopyBytesPerSecond, 1e6, 1e13),
            Check.Range(path, "rare_alloc_pages", RareAllocPages, 1, 1 << 20),
            Check.Range(path, "temporary_mm_bytes", TemporaryMmBytes, 1, 2 * 4096),
            Check.Range(path, "exclusive_resident_pages", ExclusiveResidentPages, 1, 1 << 24),
            Check.Range(path, "xpfo_batch", XpfoBatch, 1, 1 << 20),
            Check.NonNegative(path, "xpfo_defer_interval", XpfoDeferInterval, positive: true),
            Check.Range(path, "pks_tag_every", PksTagEvery, 1, 1 << 30),
            Check.Range(path, "droppable_batch", DroppableBatch, 1, 1 << 20),
            Check.Range(path, "droppable_process_cpus", DroppableProcessCpus, 1, 4096),
        }.SelectMany(x => x);
}
