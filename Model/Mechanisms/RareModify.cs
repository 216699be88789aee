using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;

namespace TlbSim.Model.Mechanisms;

/// <summary>
/// rare_modify / rare_protect: a write to protected prmem pool memory (vmalloc) makes its page writable again
/// (set_memory_rw on the vmalloc address), writes, and protects it (set_memory_ro): two attribute changes,
/// each starting with vm_unmap_aliases (a purge flush when lazily freed areas are pending) and ending in
/// flush_tlb_all on every CPU (cpa_process_alias sets force_flush_all); the direct-map alias is already split
/// after the page's first protection.
/// </summary>
public sealed class RareModify : IMechanism
{
    private long _page = -1;

    /// <inheritdoc />
    public string Name => "rare_modify";

    /// <inheritdoc />
    public string KernelPath => "set_memory_rw(vmalloc) + write + set_memory_ro(vmalloc): each change_page_attr_set_clr -> vm_unmap_aliases (purge flush if pending), vmalloc PTE + direct-map alias (cpa_process_alias), cpa_flush -> flush_tlb_all on every CPU";

    /// <inheritdoc />
    public IEnumerable<Event> Operate(MechanismContext context, Cpu cpu)
    {
        if (_page < 0)
        {
            // The pool page was protected at allocation (rare_alloc) before the measured writes start.
            _page = context.AllocFrame();
            context.Machine.DirectMap.Change(_page);
            context.Machine.DirectMapChanged();
        }
        foreach (var e in context.Kernel.SetMemoryRwVmalloc(cpu, _page, 1))
            yield return e;
        foreach (var e in cpu.Run(context.Params.Write, TimeCategory.Kernel))
            yield return e;
        foreach (var e in context.Kernel.SetMemoryRoVmalloc(cpu, _page, 1))
            yield return e;
    }
}
