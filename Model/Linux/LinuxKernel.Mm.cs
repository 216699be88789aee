using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Memory;
using TlbSim.Model.Units;

namespace TlbSim.Model.Linux;

/// <summary>
/// A process's memory syscalls and faults (mm/memory.c, mm/madvise.c, mm/mmap.c, mm/mprotect.c) and the shared
/// state they contend on, as mainline has it:
/// <list type="bullet">
/// <item>the VMA's lock (lock_vma_under_rcu: faults since 6.4, MADV_DONTNEED since 6.16 via get_lock_mode's
/// MADVISE_VMA_READ_LOCK), one atomic on vm_refcnt in and one out; mmap and munmap take mmap_write_lock and
/// write-lock the VMA (vma_start_write, waiting for its readers) until mmap_write_downgrade / unlock;</item>
/// <item>mm->tlb_flush_pending, incremented by every mmu_gather (tlb_gather_mmu: madvise, mprotect, munmap)
/// and decremented after its flush; tlb_finish_mmu that finds another gather of the mm in progress
/// (mm_tlb_flush_nested) flushes the whole mm with freed_tables set (fullmm);</item>
/// <item>the per-CPU lru_add folio batch (folio_add_lru, PAGEVEC_SIZE folios) moved to the LRU under the node's
/// lru_lock (folio_batch_move_lru), which holds a reference, so a folio zapped while still in the batch is
/// freed when the batch moves; folios on the LRU are freed under lru_lock (folios_put_refs ->
/// __page_cache_release, per batch);</item>
/// <item>the per-CPU page lists (rmqueue_pcplist, free_unref_folios), refilled and drained a pcp->batch at a
/// time under the node's zone->lock (rmqueue_bulk, free_pcppages_bulk).</item>
/// </list>
/// </summary>
public sealed partial class LinuxKernel
{
    private QueuedSpinlock[] _lruLocks = [];
    private QueuedSpinlock[] _zoneLocks = [];
    private LruAddBatch[] _lruAdd = [];
    private int[] _pcpCount = [];
    private readonly Dictionary<int, MmShared> _mmShared = [];

    // This CPU's lru_add folio batch: folios in it, and how many of those are already unmapped.
    private sealed class LruAddBatch
    {
        public int Folios;
        public int Zapped;
    }

    // An mm's shared lines: mmap_lock and the tlb_flush_pending counter.
    private sealed class MmShared(Simulation simulation, AddressSpace mm)
    {
        public readonly RwSemaphore MmapLock = new(simulation, $"{mm.Name}.mmap_lock");
        public readonly SharedLine FlushPendingLine = new();
        public int FlushPending;
        public Vma? Vma;
    }

    /// <summary>The node's lru_lock (lruvec->lru_lock of the one memory cgroup the workload runs in).</summary>
    public QueuedSpinlock LruLock(Cpu cpu) => _lruLocks[cpu.Socket];

    /// <summary>The node's zone->lock (ZONE_NORMAL).</summary>
    public QueuedSpinlock ZoneLock(Cpu cpu) => _zoneLocks[cpu.Socket];

    /// <summary>mm_tlb_flush_nested hits: flushes that became full flushes of the mm because another gather of it was in progress.</summary>
    public long NestedFlushes { get; private set; }

    private void InitMm()
    {
        var sim = Machine.Simulation;
        int nodes = Machine.Topology.Params.Sockets;
        _lruLocks = [.. Enumerable.Range(0, nodes).Select(n => new QueuedSpinlock(sim, $"node{n}.lru_lock", Params.LockDataLines))];
        _zoneLocks = [.. Enumerable.Range(0, nodes).Select(n => new QueuedSpinlock(sim, $"node{n}.zone_lock", Params.LockDataLines))];
        _lruAdd = [.. Machine.Cpus.Select(_ => new LruAddBatch())];
        _pcpCount = [.. Machine.Cpus.Select(_ => Params.PcpBatch)]; // warm lists
    }

    private MmShared SharedOf(AddressSpace mm)
    {
        if (!_mmShared.TryGetValue(mm.Id, out var shared))
            _mmShared[mm.Id] = shared = new MmShared(Machine.Simulation, mm);
        return shared;
    }

    /// <summary>The mmap_lock of <paramref name="mm"/>.</summary>
    public RwSemaphore MmapLock(AddressSpace mm) => SharedOf(ArgNotNull(mm)).MmapLock;

    /// <summary>
    /// The VMA of <paramref name="mm"/> that its threads' anonymous mappings share: adjacent anonymous mmaps with
    /// the same flags merge into one VMA (vma_merge_new_range), so its lock is one line for all of them.
    /// </summary>
    public Vma VmaOf(AddressSpace mm)
    {
        var shared = SharedOf(ArgNotNull(mm));
        return shared.Vma ??= new Vma(Machine.Simulation, mm, $"{mm.Name}.vma");
    }

    /// <summary>A VMA of its own in <paramref name="mm"/> (a thread's private mapping of its own file).</summary>
    public Vma NewVma(AddressSpace mm, string name) => new(Machine.Simulation, ArgNotNull(mm), name);

    // ---- faults (mm/memory.c) ------------------------------------------------------------------------

    /// <summary>
    /// A write fault on a missing anonymous page (do_anonymous_page) under the VMA's lock: a page from the
    /// per-CPU lists, cleared and installed, and folio_add_lru_vma into this CPU's lru_add batch.
    /// </summary>
    public IEnumerable<Event> AnonFault(Cpu me, Vma vma) => Fault(me, vma, Params.AnonFault - Params.LruPerFolio, allocates: true);

    /// <summary>A read fault on a missing anonymous page: the zero page mapped read-only (no allocation).</summary>
    public IEnumerable<Event> ZeroPageFault(Cpu me, Vma vma) => Fault(me, vma, Params.ZeroPageFault, allocates: false);

    /// <summary>A write fault on a shared file page found in the page cache (filemap_fault, page_mkwrite).</summary>
    public IEnumerable<Event> FileFault(Cpu me, Vma vma) => Fault(me, vma, Params.FileFault, allocates: false);

    /// <summary>A write fault on a private file page: copy on write into a new anonymous page (do_cow_fault).</summary>
    public IEnumerable<Event> CowFault(Cpu me, Vma vma) => Fault(me, vma, Params.CowFault - Params.LruPerFolio, allocates: true);

    /// <summary>
    /// A read fault on a file page in the page cache (do_read_fault), with fault-around (do_fault_around ->
    /// filemap_map_pages) mapping <paramref name="aroundPages"/> more pages of its 16-page window read-only.
    /// </summary>
    public IEnumerable<Event> FileReadFault(Cpu me, Vma vma, long aroundPages) =>
        Fault(me, vma, Params.FileReadFault + Params.FaultAroundPerPage * aroundPages, allocates: false);

    /// <summary>A write fault on a present read-only PTE of a shared file mapping: wp_page_shared, no flush.</summary>
    public IEnumerable<Event> WpPageShared(Cpu me, Vma vma) => Fault(me, vma, Params.WpReuse, allocates: false);

    /// <summary>
    /// A write fault on a present read-only PTE of a private file mapping: do_wp_page -> wp_page_copy, a new
    /// anonymous page with the page-cache page copied in (as do_cow_fault), and the old PTE cleared with
    /// ptep_clear_flush -> flush_tlb_page: a one-page flush_tlb_mm_range, under the VMA's lock.
    /// </summary>
    public IEnumerable<Event> WpPageCopy(Cpu me, Vma vma) => Fault(me, vma, Params.CowFault - Params.LruPerFolio, allocates: true, clearsOldPte: true);

    // The fault under the VMA's lock: a page from the per-CPU lists and folio_add_lru_vma when it allocates, and
    // ptep_clear_flush's one-page flush_tlb_mm_range when it replaces a present PTE.
    private IEnumerable<Event> Fault(Cpu me, Vma vma, Duration work, bool allocates, bool clearsOldPte = false)
    {
        ArgumentNullException.ThrowIfNull(me);
        ArgumentNullException.ThrowIfNull(vma);
        foreach (var e in vma.Lock.DownRead(me))
            yield return e;
        if (allocates)
        {
            foreach (var e in AllocatePage(me))
                yield return e;
        }
        foreach (var e in me.Run(work, TimeCategory.Kernel))
            yield return e;
        if (allocates)
        {
            foreach (var e in FolioAddLru(me))
                yield return e;
        }
        if (clearsOldPte)
        {
            foreach (var e in FlushTlbMmRange(me, vma.Mm, 1, freedTables: false))
                yield return e;
        }
        foreach (var e in vma.Lock.UpRead(me))
            yield return e;
    }

    // ---- syscalls (mm/madvise.c, mm/mprotect.c, mm/mmap.c, mm/vma.c) ----------------------------------

    /// <summary>
    /// madvise(MADV_DONTNEED) of <paramref name="pages"/> present pages, <paramref name="freed"/> of them
    /// anonymous pages mapped only here, as 6.16+ do_madvise runs it: madvise_init_tlb (tlb_gather_mmu), then
    /// under the VMA's lock zap_page_range_single (lru_add_drain first when kernel.lru_drain_on_zap is on) with
    /// zap_pte_range per page, the lock dropped, then madvise_finish_tlb: tlb_finish_mmu's flush_tlb_mm_range of
    /// the range (no page tables freed) and the freed pages' release.
    /// </summary>
    public IEnumerable<Event> MadviseDontneed(Cpu me, Vma vma, long pages, long freed)
    {
        ArgumentNullException.ThrowIfNull(me);
        ArgumentNullException.ThrowIfNull(vma);
        foreach (var e in me.Run(Machine.Params.Cpu.SyscallRoundTrip, TimeCategory.Kernel))
            yield return e;
        foreach (var e in GatherStart(me, vma.Mm))
            yield return e;
        foreach (var e in vma.Lock.DownRead(me))
            yield return e;
        if (Params.LruDrainOnZap)
        {
            foreach (var e in LruAddDrain(me))
                yield return e;
        }
        foreach (var e in me.Run(Params.ZapPerPage * pages - Params.LruPerFolio * freed, TimeCategory.Kernel))
            yield return e;
        foreach (var e in vma.Lock.UpRead(me))
            yield return e;
        foreach (var e in GatherFinish(me, vma.Mm, pages, freed, freedTables: false))
            yield return e;
    }

    /// <summary>
    /// mprotect of <paramref name="pages"/> present pages: the syscall, then under mmap_write_lock with the VMA
    /// write-locked (mprotect_fixup's vma_start_write) the VMA work and an mmu_gather over change_protection
    /// per page, whose flush_tlb_mm_range (tlb_finish_mmu in do_mprotect_pkey) runs before the unlock.
    /// </summary>
    public IEnumerable<Event> Mprotect(Cpu me, AddressSpace mm, long pages)
    {
        ArgumentNullException.ThrowIfNull(me);
        ArgumentNullException.ThrowIfNull(mm);
        var mmapLock = MmapLock(mm);
        var vma = VmaOf(mm);
        foreach (var e in me.Run(Machine.Params.Cpu.SyscallRoundTrip, TimeCategory.Kernel))
            yield return e;
        foreach (var e in mmapLock.DownWrite(me))
            yield return e;
        foreach (var e in vma.Lock.DownWrite(me))
            yield return e;
        foreach (var e in GatherStart(me, mm))
            yield return e;
        foreach (var e in me.Run(Params.MprotectFixup + Params.ProtectPerPage * pages, TimeCategory.Kernel))
            yield return e;
        foreach (var e in GatherFinish(me, mm, pages, freed: 0, freedTables: false))
            yield return e;
        foreach (var e in vma.Lock.UpWrite(me))
            yield return e;
        foreach (var e in mmapLock.UpWrite(me))
            yield return e;
    }

    /// <summary>
    /// mmap of an anonymous or file region: the syscall, then the VMA work (get_unmapped_area,
    /// vma_merge_new_range into <paramref name="vma"/> or a new VMA) under mmap_write_lock with the VMA
    /// write-locked; no page is present yet.
    /// </summary>
    public IEnumerable<Event> Mmap(Cpu me, Vma vma)
    {
        ArgumentNullException.ThrowIfNull(me);
        ArgumentNullException.ThrowIfNull(vma);
        foreach (var e in me.Run(Machine.Params.Cpu.SyscallRoundTrip, TimeCategory.Kernel))
            yield return e;
        var mmapLock = MmapLock(vma.Mm);
        foreach (var e in WriteLocked(me, vma, Params.MmapWork))
            yield return e;
        foreach (var e in mmapLock.UpWrite(me))
            yield return e;
    }

    /// <summary>
    /// munmap of <paramref name="pages"/> pages of which <paramref name="present"/> are mapped and
    /// <paramref name="freed"/> are anonymous pages mapped only here: the syscall, the VMA work (split, detach)
    /// under mmap_write_lock with the VMA write-locked, then mmap_write_downgrade (vms_complete_munmap_vmas,
    /// which also ends the VMA write locks) and, under the read lock, unmap_region: zap_pte_range per present
    /// page and the flush with page tables freed (free_pgtables -> tlb_finish_mmu), which reaches every CPU in
    /// the mm's cpumask, lazy ones too.
    /// </summary>
    public IEnumerable<Event> Munmap(Cpu me, Vma vma, long pages, long present, long freed)
    {
        ArgumentNullException.ThrowIfNull(me);
        ArgumentNullException.ThrowIfNull(vma);
        foreach (var e in me.Run(Machine.Params.Cpu.SyscallRoundTrip, TimeCategory.Kernel))
            yield return e;
        var mmapLock = MmapLock(vma.Mm);
        foreach (var e in WriteLocked(me, vma, Params.MunmapWork))
            yield return e;
        mmapLock.Downgrade();
        foreach (var e in GatherStart(me, vma.Mm))
            yield return e;
        foreach (var e in me.Run(Params.ZapPerPage * present - Params.LruPerFolio * freed, TimeCategory.Kernel))
            yield return e;
        foreach (var e in GatherFinish(me, vma.Mm, pages, freed, freedTables: true))
            yield return e;
        foreach (var e in mmapLock.UpRead(me))
            yield return e;
    }

    // mmap_write_lock and vma_start_write, the work, and the VMA's write lock ended (mmap_lock stays held).
    private IEnumerable<Event> WriteLocked(Cpu me, Vma vma, Duration work)
    {
        var mmapLock = MmapLock(vma.Mm);
        foreach (var e in mmapLock.DownWrite(me))
            yield return e;
        foreach (var e in vma.Lock.DownWrite(me))
            yield return e;
        foreach (var e in me.Run(work, TimeCategory.Kernel))
            yield return e;
        foreach (var e in vma.Lock.UpWrite(me))
            yield return e;
    }

    // tlb_gather_mmu: inc_tlb_flush_pending, an atomic on the mm's line.
    private IEnumerable<Event> GatherStart(Cpu me, AddressSpace mm)
    {
        var shared = SharedOf(mm);
        shared.FlushPending++;
        return me.Run(shared.FlushPendingLine.Write(me), TimeCategory.Kernel);
    }

    /// <summary>
    /// tlb_finish_mmu: a full flush of the mm with freed tables when another gather of the mm is in progress
    /// (mm_tlb_flush_nested), the range otherwise; then the freed pages go (tlb_batch_pages_flush) and
    /// dec_tlb_flush_pending.
    /// </summary>
    private IEnumerable<Event> GatherFinish(Cpu me, AddressSpace mm, long pages, long freed, bool freedTables)
    {
        var shared = SharedOf(mm);
        bool nested = shared.FlushPending > 1;
        if (nested)
            NestedFlushes++;
        foreach (var e in FlushTlbMmRange(me, mm, nested ? long.MaxValue : pages, freedTables || nested))
            yield return e;
        foreach (var e in ReleaseZapped(me, freed))
            yield return e;
        shared.FlushPending--;
        foreach (var e in me.Run(shared.FlushPendingLine.Write(me), TimeCategory.Kernel))
            yield return e;
    }

    // ---- the LRU and the page lists (mm/swap.c, mm/page_alloc.c) -------------------------------------

    /// <summary>
    /// lru_add_drain: this CPU's lru_add batch moves to the LRU under lru_lock (folio_batch_move_lru), and the
    /// batch's references drop: folios zapped while in the batch are freed, under lru_lock again
    /// (folios_put -> __page_cache_release) and onto the per-CPU lists.
    /// </summary>
    public IEnumerable<Event> LruAddDrain(Cpu me)
    {
        ArgumentNullException.ThrowIfNull(me);
        var batch = _lruAdd[me.Id];
        if (batch.Folios == 0)
            yield break;
        int folios = batch.Folios, zapped = batch.Zapped;
        batch.Folios = batch.Zapped = 0;
        foreach (var e in LruLock(me).LockIrqSave(me, Params.LruPerFolio * folios))
            yield return e;
        foreach (var e in FreeFolios(me, zapped))
            yield return e;
    }

    // folio_add_lru: into this CPU's batch; a full batch (PAGEVEC_SIZE) moves at once.
    private IEnumerable<Event> FolioAddLru(Cpu me)
    {
        var batch = _lruAdd[me.Id];
        return ++batch.Folios >= Params.FolioBatchSize ? LruAddDrain(me) : [];
    }

    // The zapped anonymous pages lose their last mapping: those still in this CPU's lru_add batch (the latest
    // faulted ones) wait for the batch's reference; the others, on the LRU, are freed now.
    private IEnumerable<Event> ReleaseZapped(Cpu me, long freed)
    {
        if (freed <= 0)
            return [];
        var batch = _lruAdd[me.Id];
        int inBatch = (int)Math.Min(freed, batch.Folios - batch.Zapped);
        batch.Zapped += inBatch;
        return FreeFolios(me, freed - inBatch);
    }

    // folios_put_refs of folios on the LRU: off it under lru_lock, a PAGEVEC_SIZE batch per acquisition, then
    // free_unref_folios onto this CPU's lists.
    private IEnumerable<Event> FreeFolios(Cpu me, long folios)
    {
        while (folios > 0)
        {
            int chunk = (int)Math.Min(folios, Params.FolioBatchSize);
            folios -= chunk;
            foreach (var e in LruLock(me).LockIrqSave(me, Params.LruPerFolio * chunk))
                yield return e;
            _pcpCount[me.Id] += chunk;
            if (_pcpCount[me.Id] > Params.PcpHigh)
            {
                // free_pcppages_bulk: back to the buddy allocator, a batch at a time, under zone->lock.
                int give = Math.Max(Params.PcpBatch, _pcpCount[me.Id] - Params.PcpHigh);
                _pcpCount[me.Id] -= give;
                foreach (var e in ZoneLock(me).LockIrqSave(me, Params.BuddyPerPage * give))
                    yield return e;
            }
        }
    }

    // rmqueue_pcplist: a page from this CPU's list; an empty list takes pcp->batch pages from the buddy
    // allocator under zone->lock (rmqueue_bulk).
    private IEnumerable<Event> AllocatePage(Cpu me)
    {
        if (_pcpCount[me.Id] > 0)
        {
            _pcpCount[me.Id]--;
            return [];
        }
        _pcpCount[me.Id] = Params.PcpBatch - 1;
        return ZoneLock(me).LockIrqSave(me, Params.BuddyPerPage * Params.PcpBatch);
    }

    private static AddressSpace ArgNotNull(AddressSpace mm)
    {
        ArgumentNullException.ThrowIfNull(mm);
        return mm;
    }
}

/// <summary>A virtual memory area of an mm and its per-VMA lock (vm_refcnt, taken by lock_vma_under_rcu).</summary>
public sealed class Vma(Simulation simulation, AddressSpace mm, string name)
{
    /// <summary>The address space the VMA belongs to.</summary>
    public AddressSpace Mm { get; } = mm;

    /// <summary>The VMA's lock: readers are faults and madvise, writers mmap and munmap (vma_start_write).</summary>
    public RwSemaphore Lock { get; } = new(simulation, name + ".vm_lock");
}
