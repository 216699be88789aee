using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Memory;

namespace TlbSim.Model.Linux;

/// <summary>The vmalloc layer's mappings and their lazy flushing (mm/vmalloc.c).</summary>
public sealed partial class LinuxKernel
{
    private bool _drainQueued;

    /// <summary>vmalloc address space and its lazily freed areas.</summary>
    public VmallocSpace Vmalloc { get; }

    /// <summary>vmap_purge_lock: serialises purges (drain_vmap_area_work, _vm_unmap_aliases).</summary>
    public Resource VmapPurgeLock { get; }

    /// <summary>vmap of <paramref name="pages"/> pages: a new vmap area (guard page included) with its PTEs set; no flush is needed to map.</summary>
    public VmapArea Vmap(long pages) => Vmalloc.Allocate(pages);

    /// <summary>
    /// vunmap (remove_vm_area -> free_unmap_vmap_area): vunmap_range_noflush clears the PTEs and nothing is
    /// flushed; free_vmap_area_noflush puts the area on the purge list and adds its pages to vmap_lazy_nr. When
    /// that passes lazy_max_pages(), drain_vmap_work is scheduled on this CPU (schedule_work: a kworker runs it
    /// later, outside the caller). Until the purge, every CPU may still hold the area's stale translations.
    /// </summary>
    public void VunmapNoflush(Cpu me, VmapArea area)
    {
        ArgumentNullException.ThrowIfNull(me);
        if (Vmalloc.FreeLazily(area) && !_drainQueued)
        {
            _drainQueued = true; // schedule_work on a pending item does nothing
            me.QueueWork(DrainVmapAreaWork);
        }
    }

    /// <summary>drain_vmap_area_work: the kworker's purge, under vmap_purge_lock.</summary>
    private IEnumerable<Event> DrainVmapAreaWork(Cpu me)
    {
        _drainQueued = false;
        return PurgeVmapAreaLazy(me);
    }

    /// <summary>
    /// vm_unmap_aliases: purge every lazily freed area now (_vm_unmap_aliases; vmap blocks of vm_map_ram are
    /// not modelled, so what it flushes is the purge). change_page_attr_set_clr calls it at the start of every
    /// set_memory_*, so an attribute change pays a purge whenever lazily freed areas are pending.
    /// </summary>
    public IEnumerable<Event> VmUnmapAliases(Cpu me) => PurgeVmapAreaLazy(me);

    /// <summary>
    /// __purge_vmap_area_lazy under vmap_purge_lock: take every pending area, flush_tlb_kernel_range from the
    /// lowest start to the highest end (a span above the ceiling is flush_tlb_all on every CPU), then return
    /// the areas to the free tree (vmap_purge_per_area each).
    /// </summary>
    public IEnumerable<Event> PurgeVmapAreaLazy(Cpu me)
    {
        ArgumentNullException.ThrowIfNull(me);
        using var lockRequest = VmapPurgeLock.Request();
        foreach (var e in me.SpinUntil(lockRequest, TimeCategory.Kernel))
            yield return e;
        var (span, areas) = Vmalloc.TakePending();
        if (span == 0)
            yield break;
        foreach (var e in FlushTlbKernelRange(me, span, PageSize.Size4K))
            yield return e;
        foreach (var e in me.Run(Params.VmapPurgePerArea * areas, TimeCategory.Kernel))
            yield return e;
    }
}
