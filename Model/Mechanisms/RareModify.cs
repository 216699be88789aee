using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;

namespace TlbSim.Model.Mechanisms;

/// <summary>
/// rare_modify / rare_protect: a write to protected pool memory makes its page writable again
/// (set_memory_rw), writes, and protects it (set_memory_ro): two attribute changes and two global
/// shootdowns per write; the direct map is already split after the first use of a region.
/// </summary>
public sealed class RareModify : IMechanism
{
    private long _page = -1;

    /// <inheritdoc />
    public string Name => "rare_modify";

    /// <inheritdoc />
    public string KernelPath => "set_memory_rw (cpa_flush) + write + set_memory_ro (cpa_flush): two flush_tlb_kernel_range rounds on every CPU";

    /// <inheritdoc />
    public IEnumerable<Event> Operate(MechanismContext context, Cpu cpu)
    {
        if (_page < 0)
        {
            // The pool page was protected at allocation (rare_alloc) before the measured writes start.
            _page = context.PoolFrame();
            context.Machine.DirectMap.Change(_page);
            context.Machine.DirectMapChanged();
        }
        foreach (var e in context.Kernel.SetMemoryRw(cpu, _page, 1))
            yield return e;
        foreach (var e in cpu.Run(context.Params.Write, TimeCategory.Kernel))
            yield return e;
        foreach (var e in context.Kernel.SetMemoryRo(cpu, _page, 1))
            yield return e;
    }
}
