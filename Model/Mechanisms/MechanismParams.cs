using TlbSim.Model.Parameters;
using TlbSim.Model.Units;

namespace TlbSim.Model.Mechanisms;

/// <summary>XPFO's ways of flushing the direct-map change of a page ownership transition, named after what each posted version does.</summary>
public enum XpfoFlushPolicy
{
    /// <summary>A global shootdown (flush_tlb_kernel_range of the page, by IPI) on every unmapping: XPFO v6 and v7 without 16/16.</summary>
    Immediate,

    /// <summary>
    /// XPFO v7 16/16 ("Defer TLB flushes for non-current CPUs"): flush locally now; the current task's own
    /// cpumask (task_struct.pending_xpfo_flush) is set to every other CPU, and a CPU flushes fully
    /// (__flush_tlb_all) when switch_mm_irqs_off switches it to that task; no IPI.
    /// </summary>
    DeferredPerTask,

    /// <summary>
    /// XPFO v9 12/13: flush locally now (xpfo_flush_tlb_kernel_range) and OR every other CPU into one global
    /// cpumask (pending_xpfo_flush); every CPU flushes fully at its next switch_mm_irqs_off, whichever task it
    /// switches to; no IPI.
    /// </summary>
    DeferredGlobal,

    /// <summary>
    /// XPFO v9 13/13 on top of 12/13: MOVABLE pages are unmapped when __rmqueue_pcplist refills the per-CPU
    /// list (xpfo_pcp_refill on each page rmqueue_bulk brought), then one xpfo_flush_tlb_all: a local full flush
    /// and the global pending mark; a user allocation from the list finds its page unmapped already, and pages
    /// freed by user space stay unmapped; no IPI.
    /// </summary>
    RefillBatched,
}

/// <summary>How prlist remaps a node for an insertion.</summary>
public enum PrlistGrouping
{
    /// <summary>One remapping per written field (8 for a doubly linked insertion).</summary>
    PerField,

    /// <summary>One remapping per touched node (2).</summary>
    PerNode,
}

/// <summary>What a vmap-alias design does about the alias's translations after vunmap.</summary>
public enum AliasFlush
{
    /// <summary>What vunmap does: clear the PTE, free the area lazily, flush nothing; the purge flushes later, for everyone.</summary>
    Lazy,

    /// <summary>Flush the alias on every CPU before returning (flush_tlb_kernel_range of the page): no writable alias is left behind.</summary>
    Eager,
}

/// <summary>Where the page allocator's frames come from.</summary>
public enum FramePlacement
{
    /// <summary>As the buddy allocator hands them out: consecutive frames of one MAX_ORDER block (4 MiB), then another block anywhere.</summary>
    Buddy,

    /// <summary>Uniformly from all memory: the worst case for direct-map splits.</summary>
    Uniform,
}

/// <summary>Costs shared by the mechanisms and the options of each one.</summary>
public sealed record MechanismParams : IParameters
{
    /// <summary>The protected store itself.</summary>
    [Param("The write being protected: one store to kernel data", Source = "no figure needed beyond order: an L2-hitting store; chosen; plausible 5ns to 50ns (an L1 hit to a cache miss)", Low = "5ns", High = "50ns")]
    public Duration Write { get; init; } = Duration.FromNanoseconds(10);

    /// <summary>Page allocation.</summary>
    [Param("alloc_pages of one page from the buddy allocator's per-CPU lists", Source = "no published figure; ~200 ns, the order of a cache-missing list operation and page initialisation; plausible 100ns to 500ns (a per-CPU list hit to a zone refill)", Low = "100ns", High = "500ns")]
    public Duration PageAlloc { get; init; } = Duration.FromNanoseconds(200);

    /// <summary>vmap of one page.</summary>
    [Param("vmap of one page: find a vmalloc area, install one PTE", Source = "no published figure; taken as 300 ns (a VA tree lookup plus a PTE write); plausible 150ns to 1000ns (a VA tree lookup and PTE write to a contended vmap_area_lock)", Low = "150ns", High = "1000ns")]
    public Duration Vmap { get; init; } = Duration.FromNanoseconds(300);

    /// <summary>vunmap of one page (before its flush).</summary>
    [Param("vunmap of one page before its flush: clear the PTE, free the area", Source = "no published figure; taken as 100 ns; plausible 50ns to 300ns (half to three times the estimate)", Low = "50ns", High = "300ns")]
    public Duration Vunmap { get; init; } = Duration.FromNanoseconds(100);

    /// <summary>WRPKRU.</summary>
    [Param("One WRPKRU", Unit = "cycles", Source = "no published cycle count (docs/CALIBRATION.md); 26 cycles chosen, the order of a non-serializing register write described as relatively expensive; sweep it; plausible 11 to 100 (a fast register write to a serializing one)", Low = "11", High = "100")]
    public double WrpkruCycles { get; init; } = 26;

    /// <summary>WRMSR to IA32_PKRS.</summary>
    [Param("One WRMSR to IA32_PKRS (not serializing)", Unit = "cycles", Source = "no published figure; taken as the ~100-cycle WRMSR of an x2APIC ICR write; plausible 50 to 300 (a fast MSR write to a serializing one)", Low = "50", High = "300")]
    public double WrmsrPkrsCycles { get; init; } = 100;

    /// <summary>Copy bandwidth for rare_write_copy.</summary>
    [Param("Copy bandwidth of rare_write_copy through the poking address", Unit = "bytes/s", Source = "~10 GB/s single-core memcpy of cached data; chosen; plausible 5e9 to 20e9 (a slow to a fast single-core copy)", Low = "5e9", High = "20e9")]
    public double CopyBytesPerSecond { get; init; } = 10e9;

    /// <summary>Jump sites of the static key.</summary>
    [Param("Jump sites a static_key flip patches (static_key_enable/disable of a key used in that many places)", Unit = "sites", Source = "estimate: a key used in a handful to a few hundred places (e.g. tracepoint and scheduler keys); 20 chosen, sweep it")]
    public int StaticKeySites { get; init; } = 20;

    /// <summary>Batched jump label updates.</summary>
    [Param("Patch a key's sites in batches of up to 256 (text_poke_bp_batch via arch_jump_label_transform_queue, x86 since 5.3) or one text_poke_bp per site (before 5.3)", Source = "arch/x86/kernel/jump_label.c; arch/x86/kernel/alternative.c TP_VEC_MAX; batching since 5.3, ba54f0c3f7c4")]
    public bool StaticKeyBatch { get; init; } = true;

    /// <summary>sync_core.</summary>
    [Param("sync_core on each CPU in a text_poke_sync round (do_sync_core: IRET to self, or SERIALIZE where present)", Unit = "cycles", Source = "no published figure; estimate 300 cycles for an IRET to self, plausible 50 (SERIALIZE) to 500", Low = "50", High = "500")]
    public double SyncCoreCycles { get; init; } = 300;

    /// <summary>Executions of the key's sites.</summary>
    [Param("Executions per second, per CPU, of the key's jump sites (all of them): during a patch window each one traps into poke_int3_handler", Unit = "1/s", Source = "estimate: a key in a warm path, 100,000 per second per CPU; 0 for a key nobody executes; sweep it")]
    public double StaticKeySiteRate { get; init; } = 100_000;

    /// <summary>One bsearch step of poke_int3_handler.</summary>
    [Param("One step of poke_int3_handler's binary search over the batch (a compare of a cached entry)", Source = "estimate: 5 ns, plausible 2-20 ns", Low = "2ns", High = "20ns")]
    public Duration Int3SearchStep { get; init; } = Duration.FromNanoseconds(5);

    /// <summary>Pages per rare_alloc.</summary>
    [Param("Pages a rare_alloc takes from the pool and protects", Unit = "pages", Source = "one page per call, prmem's common case")]
    public int RareAllocPages { get; init; } = 1;

    /// <summary>Bytes per temporary-mm write.</summary>
    [Param("Bytes written per temporary_mm operation (8: rare_write of a pointer; more: rare_write_copy)", Unit = "bytes", Source = "seed 000: rare_write(&q->a, y)")]
    public int TemporaryMmBytes { get; init; } = 8;

    /// <summary>prlist remapping.</summary>
    [Param("prlist remapping: per_field (8 remaps per insertion) or per_node (2)", Source = "seed 001")]
    public PrlistGrouping PrlistGrouping { get; init; } = PrlistGrouping.PerField;

    /// <summary>Alias flushing of vmap_alias and prlist.</summary>
    [Param("vmap_alias and prlist: lazy (what vunmap does: no flush, the lazy purge pays later for everyone) or eager (flush the alias on every CPU before returning)", Source = "mm/vmalloc.c vunmap -> free_vmap_area_noflush; eager is what a design that must not leave a writable alias behind pays")]
    public AliasFlush AliasFlush { get; init; } = AliasFlush.Lazy;

    /// <summary>Frame placement of map_exclusive.</summary>
    [Param("Where map_exclusive's pages come from: buddy (consecutive frames of a 4 MiB MAX_ORDER block, as __rmqueue_smallest splits one; then a random block) or uniform (anywhere: the worst case)", Source = "mm/page_alloc.c __rmqueue_smallest / rmqueue_bulk; secretmem_fault allocates order-0 pages through them")]
    public FramePlacement ExclusivePlacement { get; init; } = FramePlacement.Buddy;

    /// <summary>memfd_secret chunk cache.</summary>
    [Param("map_exclusive takes pages from a cache of 2M chunks, so one split serves 512 pages", Source = "lore:20220127085608.306306-1-rppt@kernel.org (unmapped-page cache)")]
    public bool ChunkCache { get; init; }

    /// <summary>Resident secret pages.</summary>
    [Param("map_exclusive pages kept mapped; beyond this the oldest is unmapped and returns to the direct map", Unit = "pages", Source = "chosen: a few MiB of secrets per process")]
    public int ExclusiveResidentPages { get; init; } = 512;

    /// <summary>XPFO flush policy.</summary>
    [Param("XPFO flush policy: immediate (v6/v7: flush_tlb_kernel_range by IPI per unmapping), deferred_per_task (v7 16/16: local flush, the task's pending cpumask), deferred_global (v9 12/13: local flush, one global pending cpumask taken at every switch_mm_irqs_off) or refill_batched (v9 13/13: unmapped at per-CPU list refill, one deferred full flush per refill)", Source = "lore:cover.1547153058.git.khalid.aziz@oracle.com (v7) and c97fd93699adc018d666c3842ee973cb0acced2c.1547153058 (16/16); lore:cover.1554248001.git.khalid.aziz@oracle.com (v9), 4495dda4bfc4a06b3312cc4063915b306ecfaecb.1554248002 (12/13), be3868d4514e969f22d37d76a591683be9f6b3ee.1554248002 (13/13)")]
    public XpfoFlushPolicy XpfoPolicy { get; init; } = XpfoFlushPolicy.Immediate;

    /// <summary>XPFO unmappings per per-CPU list refill.</summary>
    [Param("Under refill_batched: pages a per-CPU list refill unmaps, so kernel-to-user transitions per refill flush (rmqueue_bulk brings pcp->batch pages; those freed by user space come back still unmapped and need nothing)", Unit = "frames", Source = "pcp->batch: zone_batchsize() in 5.0 gives 31 for a zone over 512 MiB (128 pages / 4, rounded to 2^n - 1); an estimate as transitions per refill, since a refill of pages user space freed unmaps fewer; plausible 4 to 31", Low = "4", High = "31")]
    public int XpfoBatch { get; init; } = 31;

    /// <summary>PKS tagging rate.</summary>
    [Param("One pks operation in this many tags a new page with the write-rare key through the direct map (set_memory_pks: change_page_attr_set_clr)", Unit = "operations", Source = "chosen: pages are tagged as pools grow; set_memory_pks is from the PKS-protected page tables RFC (Rick Edgecombe); the PMEM series instead maps with PAGE_KERNEL_PKEY at map time")]
    public int PksTagEvery { get; init; } = 64;

    /// <summary>PKS interrupt entry and exit bookkeeping.</summary>
    [Param("PKS work on each interrupt entry plus exit (pks_save_pt_regs / pks_restore_pt_regs: save the thread's PKRS in the extended pt_regs and compare with the per-CPU cached value; a WRMSR only when it differs) and at each context switch", Unit = "cycles", Source = "no published figure; estimate 20 cycles (a few loads, stores and a compare), plausible 10-60; a WRMSR pair is added when the interrupt lands inside an open write window", Low = "10", High = "60")]
    public double PksEntryCycles { get; init; } = 20;

    /// <summary>PKU tagging rate.</summary>
    [Param("One pku operation in this many tags a new page with the key (pkey_mprotect: change_protection, then flush_tlb_mm_range of the page to the process's CPUs)", Unit = "operations", Source = "chosen: pages are tagged as the protected region grows; sweep it")]
    public int PkuTagEvery { get; init; } = 64;

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
            Check.Range(path, "static_key_sites", StaticKeySites, 1, 1_000_000), Check.Range(path, "sync_core_cycles", SyncCoreCycles, 0, 1e6),
            Check.Range(path, "static_key_site_rate", StaticKeySiteRate, 0, 1e9), Check.NonNegative(path, "int3_search_step", Int3SearchStep),
            Check.Range(path, "exclusive_resident_pages", ExclusiveResidentPages, 1, 1 << 24),
            Check.Range(path, "xpfo_batch", XpfoBatch, 1, 1 << 20),
            Check.Range(path, "pks_tag_every", PksTagEvery, 1, 1 << 30),
            Check.Range(path, "pks_entry_cycles", PksEntryCycles, 0, 1e6),
            Check.Range(path, "pku_tag_every", PkuTagEvery, 1, 1 << 30),
            Check.Range(path, "droppable_batch", DroppableBatch, 1, 1 << 20),
            Check.Range(path, "droppable_process_cpus", DroppableProcessCpus, 1, 4096),
        }.SelectMany(x => x);
}
