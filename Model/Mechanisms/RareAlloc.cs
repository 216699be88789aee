using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;

namespace TlbSim.Model.Mechanisms;

/// <summary>
/// rare_alloc: prmem pool allocation of fresh pages, written while writable, then protected with
/// set_memory_ro, which splits the direct map around them (once per 1G and 2M region) and shoots down
/// every CPU's TLB through cpa_flush (seed 000: "rare_alloc() is going to utterly suck performance-wise
/// due to the global IPI").
/// </summary>
public sealed class RareAlloc : IMechanism
{
    /// <inheritdoc />
    public string Name => "rare_alloc";

    /// <inheritdoc />
    public string KernelPath => "alloc_pages + write + set_memory_ro (change_page_attr_set_clr: split_large_page + flush_tlb_all per split, cpa_flush -> flush_tlb_kernel_range on every CPU)";

    /// <inheritdoc />
    public IEnumerable<Event> Operate(MechanismContext context, Cpu cpu)
    {
        var p = context.Params;
        long first = context.PoolFrame();
        for (int i = 1; i < p.RareAllocPages; i++)
            context.PoolFrame();
        foreach (var e in cpu.Run(p.PageAlloc * p.RareAllocPages + p.Write, TimeCategory.Kernel))
            yield return e;
        foreach (var e in context.Kernel.SetMemoryRo(cpu, first, p.RareAllocPages))
            yield return e;
    }
}
