using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;

namespace TlbSim.Model.Mechanisms;

/// <summary>
/// rare_alloc: prmem pool allocation (seed 000). A prmem pool is vmalloc memory: the new pages (frames from
/// the page allocator) are written while writable, then the pool range is protected with set_memory_ro on
/// its vmalloc address. change_page_attr_set_clr first calls vm_unmap_aliases (a purge flush when lazily
/// freed vmalloc areas are pending), changes the vmalloc PTEs, and cpa_process_alias changes each page's
/// direct-map alias too, splitting its 1G and 2M pages as needed (each split ends in flush_tlb_all) and
/// setting force_flush_all, so cpa_flush is a flush_tlb_all on every CPU ("rare_alloc() is going to utterly
/// suck performance-wise due to the global IPI").
/// </summary>
public sealed class RareAlloc : IMechanism
{
    /// <inheritdoc />
    public string Name => "rare_alloc";

    /// <inheritdoc />
    public string KernelPath => "alloc_pages + vmap into the pool + write + set_memory_ro(vmalloc address): change_page_attr_set_clr -> vm_unmap_aliases (purge flush if lazy areas pending); cpa_process_alias changes the direct-map alias (split_large_page + flush_tlb_all per split); cpa_flush with force_flush_all -> flush_tlb_all on every CPU";

    /// <inheritdoc />
    public IEnumerable<Event> Operate(MechanismContext context, Cpu cpu)
    {
        var p = context.Params;
        long first = context.AllocFrame();
        for (int i = 1; i < p.RareAllocPages; i++)
            context.AllocFrame(); // vmalloc backs each page separately; the alias path treats them as a run from the first
        foreach (var e in cpu.Run(p.PageAlloc * p.RareAllocPages + p.Vmap + p.Write, TimeCategory.Kernel))
            yield return e;
        foreach (var e in context.Kernel.SetMemoryRoVmalloc(cpu, first, p.RareAllocPages))
            yield return e;
    }
}
