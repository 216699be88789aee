using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;

namespace TlbSim.Model.Mechanisms;

/// <summary>
/// pks: supervisor protection keys for write-rare data. A write is bracketed by two WRMSRs to IA32_PKRS
/// (no flush). The PKS series saves and restores PKRS around every interrupt and exception
/// (pks_save_pt_regs / pks_restore_pt_regs) and loads it at context switch: a small cost on every entry of
/// every CPU, plus a WRMSR pair when an interrupt lands while a write window is open. The pages must carry
/// the write-rare key in their direct-map PTEs: tagging a new page is a page-attribute change
/// (set_memory_pks -> change_page_attr_set_clr, from the PKS-protected page tables RFC), which splits
/// the direct map and flushes every CPU, unless tagged pages are grouped in dedicated 2M chunks.
/// </summary>
public sealed class Pks : IMechanism
{
    private long _operations;

    /// <inheritdoc />
    public string Name => "pks";

    /// <inheritdoc />
    public string KernelPath => "WRMSR(IA32_PKRS) + write + WRMSR(IA32_PKRS); every interrupt entry/exit: pks_save_pt_regs / pks_restore_pt_regs (a WRMSR pair inside an open window); one op in pks_tag_every tags a page: set_memory_pks (cpa: vm_unmap_aliases, splits unless grouped, cpa_flush)";

    /// <inheritdoc />
    public void Attach(MechanismContext context)
    {
        var clock = context.Machine.Params.Cpu.Frequency;
        context.Machine.Pks = new PksEntryCost(clock.Cycles(context.Params.PksEntryCycles), clock.Cycles(2 * context.Params.WrmsrPkrsCycles));
    }

    /// <inheritdoc />
    public IEnumerable<Event> Operate(MechanismContext context, Cpu cpu)
    {
        var clock = context.Machine.Params.Cpu.Frequency;
        if (++_operations % context.Params.PksTagEvery == 0)
        {
            long pfn = context.Params.PksGroupTagged ? context.PoolFrame() : context.RandomFrame();
            foreach (var e in context.Kernel.SetMemoryRo(cpu, pfn, 1))
                yield return e;
        }
        var wrmsr = clock.Cycles(context.Params.WrmsrPkrsCycles);
        foreach (var e in cpu.Run(wrmsr, TimeCategory.Kernel))
            yield return e;
        cpu.PkrsOpen = true; // an interrupt now must switch PKRS to the default and back
        foreach (var e in cpu.Run(context.Params.Write, TimeCategory.Kernel))
            yield return e;
        cpu.PkrsOpen = false;
        foreach (var e in cpu.Run(wrmsr, TimeCategory.Kernel))
            yield return e;
    }
}
