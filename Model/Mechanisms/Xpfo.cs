using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Linux;
using TlbSim.Model.Memory;

namespace TlbSim.Model.Mechanisms;

/// <summary>
/// xpfo: exclusive page-frame ownership. Every page moving from kernel to user ownership is unmapped from
/// the direct map (forced to 4K pages, so no splits), and mapped back when it returns. Unmapping needs a
/// flush: immediate (a global flush_tlb_kernel_range per transition, as XPFO v7 measured), deferred (a
/// local INVLPG now, one flush_tlb_all per interval), or batched (a local INVLPG now, one
/// flush_tlb_kernel_range per batch). Operations are the workload's page ownership transitions.
/// </summary>
public sealed class Xpfo : IMechanism
{
    private bool _toUser = true;
    private int _pending;
    private long _deferredUntilPs = -1;

    /// <inheritdoc />
    public string Name => "xpfo";

    /// <inheritdoc />
    public string KernelPath => "per transition: set the 4K direct-map PTE (xpfo_kunmap/xpfo_kmap); kernel->user flushes: flush_tlb_kernel_range (immediate), local INVLPG + flush_tlb_all per interval (deferred), or per batch (batched)";

    /// <inheritdoc />
    public bool DrivenByPageTransitions => true;

    /// <inheritdoc />
    public KernelParams Adjust(KernelParams kernel) => kernel with { Force4kDirectMap = true, GbPages = false };

    /// <inheritdoc />
    public IEnumerable<Event> Operate(MechanismContext context, Cpu cpu)
    {
        var kernel = context.Kernel;
        var p = context.Params;
        foreach (var e in cpu.Run(kernel.Params.CpaPerPage, TimeCategory.Kernel))
            yield return e;
        bool unmapping = _toUser;
        _toUser = !_toUser;
        if (!unmapping)
            yield break; // mapping a page back needs no invalidation
        switch (p.XpfoPolicy)
        {
            case XpfoFlushPolicy.Immediate:
                foreach (var e in kernel.FlushTlbKernelRange(cpu, 1, PageSize.Size4K))
                    yield return e;
                break;
            case XpfoFlushPolicy.Batched:
                foreach (var e in LocalInvlpg(context, cpu))
                    yield return e;
                if (++_pending >= p.XpfoBatch)
                {
                    int pages = _pending;
                    _pending = 0;
                    foreach (var e in kernel.FlushTlbKernelRange(cpu, pages, PageSize.Size4K))
                        yield return e;
                }
                break;
            default:
                foreach (var e in LocalInvlpg(context, cpu))
                    yield return e;
                long now = context.Machine.Simulation.NowPicoseconds;
                if (_deferredUntilPs < 0)
                {
                    _deferredUntilPs = now + p.XpfoDeferInterval.Picoseconds;
                }
                else if (now >= _deferredUntilPs)
                {
                    _deferredUntilPs = -1;
                    foreach (var e in kernel.FlushTlbAll(cpu))
                        yield return e;
                }
                break;
        }
    }

    private static IEnumerable<Event> LocalInvlpg(MechanismContext context, Cpu cpu)
    {
        cpu.LoseKernelPages(1, PageSize.Size4K);
        return cpu.RunIrqsOff(context.Machine.Params.Tlb.Invlpg, TimeCategory.Flush);
    }
}
