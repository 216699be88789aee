using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Memory;

namespace TlbSim.Model.Linux;

/// <summary>Page-attribute changes on the direct map (arch/x86/mm/pat/set_memory.c).</summary>
public sealed partial class LinuxKernel
{
    /// <summary>
    /// change_page_attr_set_clr over the 4K frames [<paramref name="firstPfn"/>, +<paramref name="pages"/>):
    /// each page is changed under cpa_lock (__change_page_attr); a page inside a large mapping first splits it
    /// (split_large_page: a page-table page is allocated and filled, then flush_tlb_all runs while pgd_lock is
    /// held), so a 4K change inside an untouched 1G page costs two splits and two global flush rounds. Then
    /// cpa_flush invalidates the range on every CPU (flush_tlb_kernel_range, with its ceiling), unless
    /// <paramref name="flush"/> is false (the set_direct_map_*_noflush variants; their splits still flush).
    /// <paramref name="toDefault"/> selects set_memory_rw / set_direct_map_default_noflush, which with
    /// re-merging on can collapse regions back to large pages (each collapse ends in flush_tlb_all).
    /// </summary>
    public IEnumerable<Event> ChangePageAttr(Cpu me, long firstPfn, long pages, bool toDefault, bool flush)
    {
        ArgumentNullException.ThrowIfNull(me);
        ArgumentOutOfRangeException.ThrowIfLessThan(pages, 1);
        bool changedAny = false;
        int merges = 0;
        for (long pfn = firstPfn; pfn < firstPfn + pages; pfn++)
        {
            using var lockRequest = CpaLock.Request();
            foreach (var e in me.SpinUntil(lockRequest, TimeCategory.Kernel))
                yield return e;
            bool was = Machine.DirectMap.IsChanged(pfn);
            var change = toDefault ? Machine.DirectMap.Restore(pfn) : Machine.DirectMap.Change(pfn);
            foreach (var e in SplitLargePages(me, change.Splits))
                yield return e;
            foreach (var e in me.Run(Params.CpaPerPage, TimeCategory.Kernel))
                yield return e;
            merges += change.Merges;
            changedAny |= was != Machine.DirectMap.IsChanged(pfn);
        }
        if (flush && changedAny)
        {
            foreach (var e in FlushTlbKernelRange(me, pages, Machine.DirectMap.SizeAt(firstPfn)))
                yield return e;
        }
        if (merges > 0)
        {
            // cpa_collapse_large_pages: one flush_tlb_all after the range flush, then the old tables are freed.
            Machine.DirectMapChanged();
            foreach (var e in FlushTlbAll(me))
                yield return e;
        }
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
        IEnumerable<Event> Func(Cpu cpu) => FlushTlbFunc(cpu, mm, gen, -1);
        if (Params.Policy == FlushPolicy.Broadcast && targets.Count > 0)
            return BroadcastFlush(me, -1, cpu =>
            {
                if (cpu.LoadedMm == mm)
                    LoseUser(cpu, mm, gen, full: true);
            });
        if (targets.Count == 0)
            return local ? RunLocal(me, Func) : [];
        return OnEachCpuMask(me, targets, Func, runLocal: local);
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

    /// <summary>set_memory_ro / set_memory_np on a range: non-default attributes, then cpa_flush.</summary>
    public IEnumerable<Event> SetMemoryRo(Cpu me, long firstPfn, long pages) => ChangePageAttr(me, firstPfn, pages, toDefault: false, flush: true);

    /// <summary>set_memory_rw on a range: default attributes again, then cpa_flush.</summary>
    public IEnumerable<Event> SetMemoryRw(Cpu me, long firstPfn, long pages) => ChangePageAttr(me, firstPfn, pages, toDefault: true, flush: true);

    /// <summary>set_direct_map_invalid_noflush: one page leaves the direct map; the caller flushes.</summary>
    public IEnumerable<Event> SetDirectMapInvalidNoflush(Cpu me, long pfn) => ChangePageAttr(me, pfn, 1, toDefault: false, flush: false);

    /// <summary>set_direct_map_default_noflush: one page returns to the direct map; the caller flushes.</summary>
    public IEnumerable<Event> SetDirectMapDefaultNoflush(Cpu me, long pfn) => ChangePageAttr(me, pfn, 1, toDefault: true, flush: false);

    /// <summary>
    /// madvise(MADV_DONTNEED) of <paramref name="pages"/> present pages: syscall round trip, zap_pte_range per
    /// page, then flush_tlb_mm_range of the range (tlb_finish_mmu; no page tables freed).
    /// </summary>
    public IEnumerable<Event> MadviseDontneed(Cpu me, AddressSpace mm, long pages)
    {
        ArgumentNullException.ThrowIfNull(me);
        foreach (var e in me.Run(Machine.Params.Cpu.SyscallRoundTrip + Params.ZapPerPage * pages, TimeCategory.Kernel))
            yield return e;
        foreach (var e in FlushTlbMmRange(me, mm, pages, freedTables: false))
            yield return e;
    }

    /// <summary>mprotect of <paramref name="pages"/> present pages: syscall round trip, change_protection per page, then flush_tlb_mm_range.</summary>
    public IEnumerable<Event> Mprotect(Cpu me, AddressSpace mm, long pages)
    {
        ArgumentNullException.ThrowIfNull(me);
        foreach (var e in me.Run(Machine.Params.Cpu.SyscallRoundTrip + Params.ProtectPerPage * pages, TimeCategory.Kernel))
            yield return e;
        foreach (var e in FlushTlbMmRange(me, mm, pages, freedTables: false))
            yield return e;
    }

    /// <summary>A write fault on a missing anonymous page (handle_mm_fault: allocate, clear, install).</summary>
    public IEnumerable<Event> AnonFault(Cpu me)
    {
        ArgumentNullException.ThrowIfNull(me);
        return me.Run(Params.AnonFault, TimeCategory.Kernel);
    }
}
