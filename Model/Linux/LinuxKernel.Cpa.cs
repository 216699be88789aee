using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Memory;

namespace TlbSim.Model.Linux;

/// <summary>Page-attribute changes on the direct map (arch/x86/mm/pat/set_memory.c).</summary>
public sealed partial class LinuxKernel
{
    /// <summary>
    /// change_page_attr_set_clr, the set_memory_* entry point, over <paramref name="pages"/> pages whose frames
    /// start at <paramref name="firstPfn"/>. vm_unmap_aliases runs first, purging any lazily freed vmalloc areas
    /// with their flush. Each page is changed under cpa_lock (__change_page_attr); a page inside a large mapping
    /// first splits it (split_large_page: a page-table page is allocated and filled, then flush_tlb_all runs
    /// while pgd_lock is held), so a 4K change inside an untouched 1G page costs two splits and two global
    /// flush rounds. Then cpa_flush, if anything changed:
    /// <list type="bullet">
    /// <item>a direct-map address (<paramref name="vmalloc"/> false): flush_tlb_kernel_range of the range on
    /// every CPU, with its ceiling;</item>
    /// <item>a vmalloc address (a prmem pool): each vmalloc PTE (4K, never split) changes too, and
    /// cpa_process_alias changes the page's direct-map alias and sets force_flush_all, so cpa_flush is
    /// flush_tlb_all whatever the number of pages.</item>
    /// </list>
    /// <paramref name="toDefault"/> selects set_memory_rw, which with re-merging on can collapse regions back to
    /// large pages (each collapse ends in flush_tlb_all).
    /// </summary>
    public IEnumerable<Event> ChangePageAttrSetClr(Cpu me, long firstPfn, long pages, bool toDefault, bool vmalloc)
    {
        ArgumentNullException.ThrowIfNull(me);
        ArgumentOutOfRangeException.ThrowIfLessThan(pages, 1);
        // vm_unmap_aliases takes vmap_purge_lock (mutex_lock: might_sleep).
        foreach (var e in PreemptionPoint(me, PreemptPoint.MightSleep))
            yield return e;
        foreach (var e in VmUnmapAliases(me))
            yield return e;
        var state = new CpaState();
        // On a vmalloc address each page costs two __change_page_attr walks: the vmalloc PTE, then its alias.
        var vmallocPte = vmalloc ? Params.CpaPerPage : Units.Duration.Zero;
        foreach (var e in ChangeDirectMap(me, firstPfn, pages, toDefault, state, vmallocPte))
            yield return e;
        var flush = vmalloc ? FlushTlbAll(me) // the vmalloc PTEs always change: CPA_FLUSHTLB with force_flush_all
            : state.ChangedAny ? FlushTlbKernelRange(me, pages, Machine.DirectMap.SizeAt(firstPfn))
            : [];
        foreach (var e in flush)
            yield return e;
        foreach (var e in CollapseFlush(me, state))
            yield return e;
    }

    private sealed class CpaState
    {
        public bool ChangedAny;
        public int Merges;
    }

    /// <summary>__change_page_attr_set_clr over direct-map frames, page by page under cpa_lock, with the splits (and their flushes) it needs.</summary>
    private IEnumerable<Event> ChangeDirectMap(Cpu me, long firstPfn, long pages, bool toDefault, CpaState state, Units.Duration perPageExtra)
    {
        for (long pfn = firstPfn; pfn < firstPfn + pages; pfn++)
        {
            using var lockRequest = CpaLock.Request();
            foreach (var e in me.SpinUntil(lockRequest, TimeCategory.Kernel))
                yield return e;
            bool was = Machine.DirectMap.IsChanged(pfn);
            var change = toDefault ? Machine.DirectMap.Restore(pfn) : Machine.DirectMap.Change(pfn);
            foreach (var e in SplitLargePages(me, change.Splits))
                yield return e;
            foreach (var e in me.Run(Params.CpaPerPage + perPageExtra, TimeCategory.Kernel))
                yield return e;
            state.Merges += change.Merges;
            state.ChangedAny |= was != Machine.DirectMap.IsChanged(pfn);
        }
    }

    /// <summary>cpa_collapse_large_pages: one flush_tlb_all after the range flush when regions were merged back, then the old tables are freed.</summary>
    private IEnumerable<Event> CollapseFlush(Cpu me, CpaState state)
    {
        if (state.Merges == 0)
            return [];
        Machine.DirectMapChanged();
        return FlushTlbAll(me);
    }

    /// <summary>
    /// __change_page_attr_set_clr on direct-map frames without a flush of the range (the
    /// set_direct_map_*_noflush entry points, which bypass change_page_attr_set_clr: no vm_unmap_aliases, no
    /// cpa_flush; the caller flushes); splits still flush.
    /// </summary>
    private IEnumerable<Event> ChangeDirectMapNoflush(Cpu me, long pfn, bool toDefault)
    {
        var state = new CpaState();
        foreach (var e in ChangeDirectMap(me, pfn, 1, toDefault, state, Units.Duration.Zero))
            yield return e;
        foreach (var e in CollapseFlush(me, state))
            yield return e;
    }

    /// <summary>
    /// set_direct_map_invalid_noflush over a whole 2M-aligned chunk followed by its flush: the 2M page is
    /// changed in place (no 4K split), an enclosing 1G page splits (with its flush_tlb_all), and the
    /// 512-page flush exceeds the ceiling, so it is one flush_tlb_all.
    /// </summary>
    public IEnumerable<Event> RemoveChunkFromDirectMap(Cpu me, long firstPfn)
    {
        ArgumentNullException.ThrowIfNull(me);
        using var lockRequest = CpaLock.Request();
        foreach (var e in me.SpinUntil(lockRequest, TimeCategory.Kernel))
            yield return e;
        if (Machine.DirectMap.IsChanged(firstPfn))
            yield break; // already out of the direct map: nothing changes, nothing to flush
        var change = Machine.DirectMap.Change2M(firstPfn);
        foreach (var e in SplitLargePages(me, change.Splits))
            yield return e;
        foreach (var e in me.Run(Params.CpaPerPage, TimeCategory.Kernel))
            yield return e;
        foreach (var e in FlushTlbKernelRange(me, 512, PageSize.Size2M))
            yield return e;
    }

    /// <summary>
    /// arch_tlbbatch_flush: the batched flush of reclaim (try_to_unmap with TTU_BATCH_FLUSH): a full flush
    /// on the CPUs of the unmapped mms' cpumask only; lazy CPUs are skipped (should_flush_tlb) and catch up through
    /// the generation that arch_tlbbatch_add_pending bumped.
    /// </summary>
    public IEnumerable<Event> ArchTlbBatchFlush(Cpu me, AddressSpace mm)
    {
        ArgumentNullException.ThrowIfNull(me);
        ArgumentNullException.ThrowIfNull(mm);
        long gen = mm.BumpGeneration();
        var targets = mm.CpuMask.Where(id => id != me.Id).Select(id => Machine.Cpus[id]).Where(c => !c.IsLazy).ToList();
        bool local = mm.CpuMask.Contains(me.Id);
        CallFunction func = cpu => FlushTlbFunc(cpu, mm, gen, -1);
        if ((Params.Policy == FlushPolicy.Rar || (Params.Policy == FlushPolicy.Broadcast && mm.GlobalAsid)) && targets.Count > 0)
            return BroadcastFlush(me, -1, cpu =>
            {
                if (cpu.LoadedMm == mm)
                    LoseUser(cpu, mm, gen, full: true);
            });
        if (targets.Count == 0)
            return local ? RunLocal(me, func) : [];
        return OnEachCpuMask(me, targets, func, runLocal: local);
    }

    /// <summary>
    /// split_large_page, <paramref name="splits"/> times: allocate and fill a page-table page, install it, and
    /// flush_tlb_all while pgd_lock is held (mixed-size translations with different attributes are undefined).
    /// </summary>
    private IEnumerable<Event> SplitLargePages(Cpu me, int splits)
    {
        for (int i = 0; i < splits; i++)
        {
            Machine.DirectMapChanged();
            foreach (var e in me.Run(Params.SplitWork, TimeCategory.Kernel))
                yield return e;
            foreach (var e in FlushTlbAll(me))
                yield return e;
        }
    }

    /// <summary>set_memory_ro / set_memory_np on a direct-map range: vm_unmap_aliases, non-default attributes, then cpa_flush.</summary>
    public IEnumerable<Event> SetMemoryRo(Cpu me, long firstPfn, long pages) => ChangePageAttrSetClr(me, firstPfn, pages, toDefault: false, vmalloc: false);

    /// <summary>set_memory_rw on a direct-map range: vm_unmap_aliases, default attributes again, then cpa_flush.</summary>
    public IEnumerable<Event> SetMemoryRw(Cpu me, long firstPfn, long pages) => ChangePageAttrSetClr(me, firstPfn, pages, toDefault: true, vmalloc: false);

    /// <summary>set_memory_ro on vmalloc memory backed by the frames from <paramref name="firstPfn"/>: the alias changes too and everything is flushed.</summary>
    public IEnumerable<Event> SetMemoryRoVmalloc(Cpu me, long firstPfn, long pages) => ChangePageAttrSetClr(me, firstPfn, pages, toDefault: false, vmalloc: true);

    /// <summary>set_memory_rw on vmalloc memory backed by the frames from <paramref name="firstPfn"/>.</summary>
    public IEnumerable<Event> SetMemoryRwVmalloc(Cpu me, long firstPfn, long pages) => ChangePageAttrSetClr(me, firstPfn, pages, toDefault: true, vmalloc: true);

    /// <summary>set_direct_map_invalid_noflush: one page leaves the direct map; the caller flushes.</summary>
    public IEnumerable<Event> SetDirectMapInvalidNoflush(Cpu me, long pfn) => ChangeDirectMapNoflush(me, pfn, toDefault: false);

    /// <summary>set_direct_map_default_noflush: one page returns to the direct map; the caller flushes.</summary>
    public IEnumerable<Event> SetDirectMapDefaultNoflush(Cpu me, long pfn) => ChangeDirectMapNoflush(me, pfn, toDefault: true);
}
