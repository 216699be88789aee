using TlbSim.Model.Parameters;
using TlbSim.Model.Units;

namespace TlbSim.Model.Linux;

/// <summary>How a TLB shootdown is carried out: the protocol variants tlbsim compares.</summary>
public enum FlushPolicy
{
    /// <summary>Before Linux 5.13: the initiator flushes locally, then sends the IPIs (flush_tlb_others) and waits for every target to finish.</summary>
    Synchronous,

    /// <summary>Linux 5.13 and later (flush_tlb_multi): send the IPIs, flush locally while the targets work, then wait.</summary>
    Concurrent,

    /// <summary>
    /// Concurrent, and for a user flush that frees no page tables each target acknowledges on taking the
    /// request, before its flush (Nadav Amit's RFC v2, lore 20190531063645.4697-1-namit@vmware.com, patch 11/12
    /// "x86/mm/tlb: Use async and inline messages for flushing": native_flush_tlb_multi calls with wait=0 unless
    /// freed_tables). Kernel flushes (flush_tlb_kernel_range, flush_tlb_all) and other calls (text_poke's
    /// sync_core) stay synchronous.
    /// </summary>
    EarlyAck,

    /// <summary>
    /// INVLPGB as merged (Linux 6.15, Rik van Riel's series): kernel flushes are broadcast (invlpgb_flush_all,
    /// invlpgb_kernel_range_flush); a user mm is broadcast only once it has a global ASID, which
    /// consider_global_asid hands out, checking once in a while, to an mm active on more than three CPUs;
    /// until then its flushes go by IPI.
    /// </summary>
    Broadcast,

    /// <summary>IPI-free remote invalidation for every flush, user or kernel, from the first (Intel RAR, or INVLPGB with every mm on a global ASID): no interrupts, no target CPU time; the initiator waits for completion.</summary>
    Rar,
}

/// <summary>How a CPU leaves an mm's cpumask (mm_cpumask), which decides the CPUs a user flush interrupts.</summary>
public enum CpumaskTrim
{
    /// <summary>
    /// Before Linux 6.14: switch_mm_irqs_off clears the CPU from the previous mm's cpumask on every real switch
    /// (cpumask_clear_cpu(cpu, mm_cpumask(real_prev))), including a lazy CPU's switch to init_mm when a flush
    /// that freed page tables reaches it; the mask holds exactly the CPUs running the mm or lazy in it.
    /// </summary>
    OnSwitch,

    /// <summary>
    /// Linux 6.14 and later (209954cbc7d0 "x86/mm/tlb: Update mm_cpumask lazily", 6db2526c1d69 "Only trim the
    /// mm_cpumask once a second"): switch_mm_irqs_off leaves the CPU in the previous mm's mask; flush_tlb_func
    /// clears it when a flush of that mm reaches a CPU running another one (TLB_REMOTE_WRONG_CPU). Such CPUs are
    /// skipped (should_flush_tlb) except once per second per mm (should_trim_cpumask: jiffies after
    /// mm->context.next_trim_cpumask, which init_new_context sets to jiffies + HZ), when the flush interrupts
    /// every non-lazy CPU in the mask so that the stale ones leave it.
    /// </summary>
    Lazy,
}

/// <summary>The kernel's preemption model (CONFIG_PREEMPT_NONE / _VOLUNTARY / CONFIG_PREEMPT, or preempt= with PREEMPT_DYNAMIC).</summary>
public enum PreemptModel
{
    /// <summary>Server kernels: a task in the kernel gives up the CPU only where it sleeps or calls cond_resched().</summary>
    None,

    /// <summary>Desktop kernels and the boot default of Debian's, Ubuntu's and Fedora's PREEMPT_DYNAMIC kernels: also at might_sleep() (mutex_lock, GFP_KERNEL allocations).</summary>
    Voluntary,

    /// <summary>CONFIG_PREEMPT (preempt=full): wherever preemption and interrupts are enabled (every preempt_enable, every return from an interrupt); cond_resched() does nothing.</summary>
    Full,

    /// <summary>
    /// CONFIG_PREEMPT_LAZY (preempt=lazy; on x86 from 7.0, 7dadeaa6e851e, the default and with full the only
    /// choice): the tick that finds the turn over only sets TIF_NEED_RESCHED_LAZY, and the next tick makes it
    /// TIF_NEED_RESCHED; from then on the task is preempted wherever full would preempt it.
    /// </summary>
    Lazy,
}

/// <summary>The kernel's flush and page-attribute machinery, and the direct map's page sizes.</summary>
public sealed record KernelParams : IParameters
{
    /// <summary>Pages above which a range flush becomes a full flush.</summary>
    [Param("Above this many pages a range flush becomes one full flush (tlb_single_page_flush_ceiling)", Unit = "pages", Source = "arch/x86/mm/tlb.c: 33 since Linux 3.15; Documentation/arch/x86/tlb.rst")]
    public int SinglePageFlushCeiling { get; init; } = 33;

    /// <summary>The shootdown protocol.</summary>
    [Param("Shootdown protocol: synchronous (before 5.13), concurrent (5.13+), early_ack (user flushes freeing no page tables acknowledged on entry; lore 20190531063645.4697-12-namit@vmware.com), broadcast (INVLPGB as merged in 6.15: kernel flushes and user mms with a global ASID) or rar (every flush broadcast, no IPIs)", Source = "arch/x86/mm/tlb.c native_flush_tlb_multi; kernel/smp.c smp_call_function_many_cond")]
    public FlushPolicy Policy { get; init; } = FlushPolicy.Concurrent;

    /// <summary>How CPUs leave an mm's cpumask.</summary>
    [Param("How a CPU leaves an mm's cpumask: on_switch (before 6.14: switch_mm_irqs_off clears it) or lazy (6.14+: flush_tlb_func clears a CPU that runs another mm, and once per second per mm a flush interrupts every non-lazy CPU in the mask to trim it)", Source = "arch/x86/mm/tlb.c switch_mm_irqs_off, flush_tlb_func, should_trim_cpumask; commits 209954cbc7d0, 6db2526c1d69, 953753db887f (6.14)")]
    public CpumaskTrim CpumaskTrim { get; init; } = CpumaskTrim.Lazy;

    /// <summary>Cost of one INVLPGB.</summary>
    [Param("Initiator time to issue one INVLPGB (up to invlpgb_count_max pages)", Source = "no published per-instruction figure (AMD APM vol. 3, Rik van Riel's series v1-v14 and its review; Dave Hansen: bookkeeping is 'a pittance compared to the actual cost of INVLPGB/TLBSYNC', lore 7e1ca8c7-6f3e-44dc-9dd8-bd273a03a83e@intel.com); estimate: one INVLPG (~100 ns, tlb.c); plausible 50ns to 300ns (half to three INVLPGs)", Low = "50ns", High = "300ns")]
    public Duration BroadcastIssue { get; init; } = Duration.FromNanoseconds(100);

    /// <summary>TLBSYNC completion time.</summary>
    [Param("Time from the last INVLPGB until TLBSYNC returns, when every CPU's TLB has processed it", Source = "no published figure (as broadcast_issue); estimate: the same-socket ack round (delivery of a line, 40 ns) plus one INVLPG at the far end (100 ns), doubled for the fabric round trip; plausible 100ns to 600ns (a same-socket round to a cross-socket round plus a far INVLPG)", Low = "100ns", High = "600ns")]
    public Duration BroadcastCompletion { get; init; } = Duration.FromNanoseconds(280);

    /// <summary>Extra completion time across sockets.</summary>
    [Param("Extra TLBSYNC time when the machine has more than one socket", Source = "no published figure; estimate: cross- minus same-socket line transfer (120-40 ns); plausible 40ns to 200ns (half to two and a half of that difference)", Low = "40ns", High = "200ns")]
    public Duration BroadcastCrossSocketExtra { get; init; } = Duration.FromNanoseconds(80);

    /// <summary>Pages per INVLPGB.</summary>
    [Param("Pages one INVLPGB can invalidate (invlpgb_count_max)", Unit = "pages", Source = "CPUID 0x80000008 EDX[15:0]+1; 8 on Zen 3")]
    public int BroadcastMaxPages { get; init; } = 8;

    /// <summary>Use 1G pages in the direct map.</summary>
    [Param("Map the direct map with 1G pages where possible (false is the nogbpages boot option: 2M pages)", Source = "arch/x86/mm/init.c direct_gbpages")]
    public bool GbPages { get; init; } = true;

    /// <summary>Force a 4K direct map.</summary>
    [Param("Map the direct map with 4K pages only (as XPFO and debug_pagealloc force)", Source = "XPFO v1: gbpages off, 4K direct map")]
    public bool Force4kDirectMap { get; init; }

    /// <summary>Merge split regions back.</summary>
    [Param("Collapse a split region back to a large page when all its pages have default attributes again (cpa_collapse_large_pages, only on the set_memory_rox path in mainline)", Source = "2025 execmem large ROX pages work; off by default: mainline never re-merges other splits")]
    public bool Remerge { get; init; }

    /// <summary>Per-page attribute change cost.</summary>
    [Param("Work of __change_page_attr on one 4K page under cpa_lock (lookup_address, static_protections, set_pte_atomic)", Source = "no published figure; taken as ~one INVLPG (100 ns); plausible 50ns to 300ns (half to three INVLPGs)", Low = "50ns", High = "300ns")]
    public Duration CpaPerPage { get; init; } = Duration.FromNanoseconds(100);

    /// <summary>Large-page split cost.</summary>
    [Param("Work of split_large_page: allocate a page-table page and fill its 512 entries, before the flush_tlb_all that follows", Source = "no published figure; alloc_pages (~200 ns) plus writing 4KiB of entries (~400 ns); plausible 300ns to 1500ns (half to 2.5 times the sum of its parts)", Low = "300ns", High = "1500ns")]
    public Duration SplitWork { get; init; } = Duration.FromNanoseconds(600);

    /// <summary>Anonymous page fault cost.</summary>
    [Param("A write fault on a missing anonymous page: fault entry and exit, page allocation, clear_page, PTE install", Source = "derived from the 1-thread Haswell MADV_DONTNEED loop (lore:20190531063645.4697-1-namit@vmware.com, 661 ns): less the syscall round trip (192 ns), one INVLPG (100 ns) and zap_pte_range (70 ns)")]
    public Duration AnonFault { get; init; } = Duration.FromNanoseconds(299);

    /// <summary>Per-page unmap cost.</summary>
    [Param("zap_pte_range work per present page: clear the PTE, update counters, queue the page for freeing", Source = "no published figure; taken as 70 ns (less than one INVLPG, more than a cache-missing store); plausible 30ns to 150ns (a cache-hitting store to two INVLPGs)", Low = "30ns", High = "150ns")]
    public Duration ZapPerPage { get; init; } = Duration.FromNanoseconds(70);

    /// <summary>Per-page protection change cost.</summary>
    [Param("change_protection work per present page (mprotect): rewrite the PTE", Source = "no published figure; taken equal to zap_per_page; plausible 30ns to 150ns (as zap_per_page)", Low = "30ns", High = "150ns")]
    public Duration ProtectPerPage { get; init; } = Duration.FromNanoseconds(70);

    /// <summary>Lazily freed vmalloc bytes per fls(CPUs) before a purge.</summary>
    [Param("lazy_max_pages() is this many bytes of 4K pages times fls(num_online_cpus()): the lazily freed vmalloc pages (vmap_lazy_nr) that trigger a purge", Source = "mm/vmalloc.c lazy_max_pages(): (SZ_32M >> PAGE_SHIFT) * fls(num_online_cpus())")]
    public ByteSize LazyVmapBytes { get; init; } = ByteSize.FromMiB(32);

    /// <summary>Work per purged vmap area.</summary>
    [Param("Work of __purge_vmap_area_lazy per purged area after its flush: unlink it and merge it back into the free tree (merge_or_add_vmap_area)", Source = "no published figure; estimate 100 ns (an rb-tree insertion with a few cache misses), plausible 50-300 ns", Low = "50ns", High = "300ns")]
    public Duration VmapPurgePerArea { get; init; } = Duration.FromNanoseconds(100);

    /// <summary>The scheduler's slice.</summary>
    [Param("The turn a runnable task gets before the next runnable task on its CPU (EEVDF's base slice)", Source = "kernel/sched/fair.c: sysctl_sched_base_slice = 0.75 ms, scaled by 1 + ilog2(min(CPUs, 8)) (SCHED_TUNABLESCALING_LOG): 3 ms from 8 CPUs up")]
    public Duration SchedBaseSlice { get; init; } = Duration.FromMilliseconds(3);

    /// <summary>The preemption model.</summary>
    [Param("Where a task running in the kernel can lose its CPU to a runnable task whose turn it is: none (only where it sleeps and at cond_resched), voluntary (also at might_sleep: mutex_lock, GFP_KERNEL allocations), full (wherever preemption and interrupts are enabled: after each preempt_enable, at an interrupt's return), lazy (as full, one tick later: PREEMPT_LAZY, mainline x86's default from 7.0)", Source = "kernel/Kconfig.preempt; include/linux/kernel.h might_resched(); include/linux/preempt.h preempt_enable(); voluntary is the boot default of Debian, Ubuntu and Fedora PREEMPT_DYNAMIC kernels")]
    public PreemptModel Preempt { get; init; } = PreemptModel.Voluntary;

    /// <summary>Timer ticks per second.</summary>
    [Param("Timer interrupts per second (CONFIG_HZ): the scheduler tick notices that a task's turn is over (update_curr -> resched_curr) at the first tick after it", Unit = "1/s", Source = "CONFIG_HZ=250 in Debian's and Ubuntu's x86_64 configs (Fedora and RHEL: 1000)")]
    public int Hz { get; init; } = 250;

    /// <summary>Write fault on a shared file page in the page cache.</summary>
    [Param("A write fault on a shared file mapping whose page is in the page cache (filemap_fault, page_mkwrite, PTE install; no allocation or clearing)", Source = "no published figure; estimate 250 ns (anon_fault less clear_page, plus the page-cache lookup), plausible 150-500 ns", Low = "150ns", High = "500ns")]
    public Duration FileFault { get; init; } = Duration.FromNanoseconds(250);

    /// <summary>Write fault on a private file page (copy on write).</summary>
    [Param("A write fault on a private file mapping: the page-cache page is found and copied into a new anonymous page (do_cow_fault)", Source = "no published figure; estimate anon_fault plus a 4 KiB copy, 400 ns, plausible 300-800 ns", Low = "300ns", High = "800ns")]
    public Duration CowFault { get; init; } = Duration.FromNanoseconds(400);

    /// <summary>Read fault on a missing anonymous page (the zero page).</summary>
    [Param("A read fault on a missing anonymous page: fault entry and exit, the shared zero page mapped read-only (do_anonymous_page's read path: no allocation, no clear_page)", Source = "no published figure; estimate anon_fault less the allocation and clear_page, 150 ns, plausible 100-300 ns", Low = "100ns", High = "300ns")]
    public Duration ZeroPageFault { get; init; } = Duration.FromNanoseconds(150);

    /// <summary>Read fault on a file page in the page cache.</summary>
    [Param("A read fault on a file mapping whose page is in the page cache (do_read_fault: filemap_map_pages for the faulting page), before fault-around's other pages", Source = "no published figure; estimate as file_fault, 250 ns, plausible 150-500 ns", Low = "150ns", High = "500ns")]
    public Duration FileReadFault { get; init; } = Duration.FromNanoseconds(250);

    /// <summary>Fault-around's work per extra page mapped.</summary>
    [Param("Fault-around (do_fault_around, fault_around_bytes 64 KiB: the 16-page aligned window) per extra page-cache page mapped read-only by a read fault", Source = "no published figure; estimate 20 ns (a page-cache xarray step, a refcount and a PTE write), plausible 10-60 ns", Low = "10ns", High = "60ns")]
    public Duration FaultAroundPerPage { get; init; } = Duration.FromNanoseconds(20);

    /// <summary>Write fault on a present read-only PTE of a shared file mapping.</summary>
    [Param("A write fault on a present read-only PTE of a shared file mapping (do_wp_page -> wp_page_shared: page_mkwrite, the PTE made writable; a permission upgrade, so no flush)", Source = "no published figure; estimate 200 ns (fault entry and exit, page_mkwrite, one PTE write), plausible 120-400 ns", Low = "120ns", High = "400ns")]
    public Duration WpReuse { get; init; } = Duration.FromNanoseconds(200);

    /// <summary>mmap syscall work.</summary>
    [Param("mmap's work besides the syscall round trip: get_unmapped_area, vm_area_alloc, vma_link under mmap_write_lock", Source = "no published figure; estimate 500 ns, plausible 300-1500 ns", Low = "300ns", High = "1500ns")]
    public Duration MmapWork { get; init; } = Duration.FromNanoseconds(500);

    /// <summary>munmap syscall work.</summary>
    [Param("munmap's work besides the syscall round trip, the zapped pages and the flush: finding and removing the VMA, free_pgtables", Source = "no published figure; estimate 500 ns, plausible 300-1500 ns", Low = "300ns", High = "1500ns")]
    public Duration MunmapWork { get; init; } = Duration.FromNanoseconds(500);

    /// <summary>mprotect's VMA work.</summary>
    [Param("mprotect's work besides the PTEs and the flush: mmap_write_lock, the VMA lookup, mprotect_fixup (vma_modify_flags splitting and merging the VMA)", Source = "derived from the 1-thread single-page mprotect(PROT_READ) loop, 2499 cycles at 3.4 GHz = 735 ns (lore:20220718120212.3180-1-namit@vmware.com), less the syscall round trip 192, change_protection 70 and the local INVLPG 100 ns")]
    public Duration MprotectFixup { get; init; } = Duration.FromNanoseconds(373);

    /// <summary>Initiator software work per target of smp_call_function_many_cond.</summary>
    [Param("Initiator instructions per target in smp_call_function_many_cond's queueing loop (for_each_cpu, cond_func, filling the csd), besides its cache-line transfers (csd_queue_transfers)", Source = "no published figure; estimate 10 ns (~25 instructions at 2.5-3.4 GHz), plausible 5-30 ns", Low = "5ns", High = "30ns")]
    public Duration CsdPerTarget { get; init; } = Duration.FromNanoseconds(10);

    /// <summary>Serialized cache-line transfers per target in the queueing loop.</summary>
    [Param("Serialized cache-line transfers per target in smp_call_function_many_cond's queueing loop, each at the machine's line-transfer latency for the target's distance: llist_add's locked cmpxchg on the target's call_single_queue head (1), and csd_lock's store to a csd the target last unlocked, which the locked instruction must wait for unless its ownership request overlapped the previous iteration", Source = "estimate from x86 ordering (a locked RMW drains the store buffer): 1.5, plausible 1-2", Low = "1", High = "2")]
    public double CsdQueueTransfers { get; init; } = 1.5;

    /// <summary>Overlapping csd reads in csd_lock_wait's walk.</summary>
    [Param("csd_lock_wait reads each target's csd in turn; reads of csds already unlocked are independent loads that overlap, up to this many in flight (a csd still locked is spun on and seen one line transfer after its unlock)", Source = "L1D fill buffers per core: 10 on Haswell-Skylake (Intel 248966, 2.6.2), 12 on Ice Lake; estimate 10, plausible 1 (fully serial) to 12", Low = "1", High = "12")]
    public double CsdWaitParallelReads { get; init; } = 10;

    /// <summary>zap_page_range_single drains the lru_add batch first.</summary>
    [Param("zap_page_range_single and free_pages_and_swap_cache call lru_add_drain() first, as before Rik van Riel's \"mm: remove unnecessary calls to lru_add_drain\" (lkml.org/lkml/2024/12/19/1388, merged early 2025): every madvise(MADV_DONTNEED) then takes lru_lock to add the just-faulted folio and again to free it, instead of twice per PAGEVEC_SIZE faults", Source = "mm/memory.c zap_page_range_single before and after the patch; the INVLPGB cover letter's will-it-scale tlb_flush2_threads runs with and without it")]
    public bool LruDrainOnZap { get; init; }

    /// <summary>Folios in a per-CPU LRU batch.</summary>
    [Param("Folios in a per-CPU lru_add batch before it moves to the LRU under lru_lock (PAGEVEC_SIZE), and in a batch freed per lru_lock acquisition (folios_put_refs)", Unit = "folios", Source = "include/linux/folio_batch.h PAGEVEC_SIZE 31 (15 before 2024)")]
    public int FolioBatchSize { get; init; } = 31;

    /// <summary>Work per folio under lru_lock.</summary>
    [Param("Work per folio under lru_lock: lruvec_add_folio when a batch moves to the LRU, lruvec_del_folio when it is freed (a list update and the LRU size counters); carved out of anon_fault and zap_per_page, so one thread's loop costs the same", Source = "no published figure; estimate 25 ns, plausible 10-60 ns", Low = "10ns", High = "60ns")]
    public Duration LruPerFolio { get; init; } = Duration.FromNanoseconds(25);

    /// <summary>Lines a new holder of a contended list lock finds on the previous holder's CPU.</summary>
    [Param("Cache lines of the data behind lru_lock and zone->lock (the list head, the neighbouring entry, the counters) that a holder finds modified on the previous holder's CPU, besides the lock word: each one line transfer at the two CPUs' distance", Unit = "lines", Source = "no published figure; estimate 3 (list head, its first entry, the lruvec's size counter), plausible 1-6", Low = "1", High = "6")]
    public double LockDataLines { get; init; } = 3;

    /// <summary>pcp->batch.</summary>
    [Param("Pages a per-CPU page list takes from the buddy allocator when empty (rmqueue_bulk) and returns when over its high mark (free_pcppages_bulk), under zone->lock", Unit = "pages", Source = "mm/page_alloc.c zone_batchsize(): 63 for a zone of 1 GiB or more")]
    public int PcpBatch { get; init; } = 63;

    /// <summary>pcp->high.</summary>
    [Param("Pages on a per-CPU list above which freeing returns a batch to the buddy allocator", Unit = "pages", Source = "estimate 6 x pcp_batch = 378 (pageset_set_batch's high before 5.14; since then zone_highsize's share of the low watermark, machine-dependent), plausible 2-32 x batch", Low = "126", High = "2016")]
    public int PcpHigh { get; init; } = 378;

    /// <summary>Buddy allocator work per page under zone->lock.</summary>
    [Param("Work per page under zone->lock when a per-CPU list is refilled or drained (__rmqueue_smallest, __free_one_page with its merging)", Source = "no published figure; estimate 30 ns, plausible 15-80 ns", Low = "15ns", High = "80ns")]
    public Duration BuddyPerPage { get; init; } = Duration.FromNanoseconds(30);

    /// <inheritdoc />
    public IEnumerable<string> Validate(string path) =>
        new[]
        {
            Check.Range(path, "single_page_flush_ceiling", SinglePageFlushCeiling, 0, 1 << 20),
            Check.NonNegative(path, "broadcast_issue", BroadcastIssue), Check.NonNegative(path, "broadcast_completion", BroadcastCompletion),
            Check.NonNegative(path, "broadcast_cross_socket_extra", BroadcastCrossSocketExtra),
            Check.Range(path, "broadcast_max_pages", BroadcastMaxPages, 1, 1 << 16),
            Check.NonNegative(path, "cpa_per_page", CpaPerPage), Check.NonNegative(path, "split_work", SplitWork),
            Check.NonNegative(path, "anon_fault", AnonFault), Check.NonNegative(path, "zero_page_fault", ZeroPageFault),
            Check.NonNegative(path, "file_read_fault", FileReadFault), Check.NonNegative(path, "fault_around_per_page", FaultAroundPerPage),
            Check.NonNegative(path, "wp_reuse", WpReuse), Check.NonNegative(path, "zap_per_page", ZapPerPage),
            Check.NonNegative(path, "protect_per_page", ProtectPerPage),
            Check.Range(path, "lazy_vmap_bytes", LazyVmapBytes.Bytes, 4096, 1L << 40), Check.NonNegative(path, "vmap_purge_per_area", VmapPurgePerArea),
            Check.NonNegative(path, "csd_per_target", CsdPerTarget), Check.Range(path, "csd_queue_transfers", CsdQueueTransfers, 0, 16),
            Check.Range(path, "csd_wait_parallel_reads", CsdWaitParallelReads, 1, 64), Check.NonNegative(path, "mprotect_fixup", MprotectFixup),
            Check.Range(path, "hz", Hz, 100, 1000), Check.Range(path, "folio_batch_size", FolioBatchSize, 1, 4096), Check.NonNegative(path, "lru_per_folio", LruPerFolio),
            Check.Range(path, "lock_data_lines", LockDataLines, 0, 64), Check.Range(path, "pcp_batch", PcpBatch, 1, 1 << 16),
            Check.Range(path, "pcp_high", PcpHigh, PcpBatch, 1 << 20), Check.NonNegative(path, "buddy_per_page", BuddyPerPage),
            LruPerFolio > ZapPerPage || LruPerFolio > AnonFault || LruPerFolio > CowFault
                ? [$"{path}.lru_per_folio: {LruPerFolio} is carved out of anon_fault, cow_fault and zap_per_page, so it cannot exceed any of them"] : [],
        }.SelectMany(x => x);
}
