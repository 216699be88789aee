using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;

namespace TlbSim.Model.Mechanisms;

/// <summary>
/// pks: supervisor protection keys for write-rare data. A write is bracketed by two WRMSRs to IA32_PKRS
/// (no flush). The pages must carry the write-rare key in their direct-map PTEs: tagging a new page is a
/// page-attribute change (set_memory_pkey -> change_page_attr_set_clr), which splits the direct map and
/// flushes every CPU, unless tagged pages are grouped in dedicated 2M chunks.
/// </summary>
public sealed class Pks : IMechanism
{
    private long _operations;

    /// <inheritdoc />
    public string Name => "pks";

    /// <inheritdoc />
    public string KernelPath => "WRMSR(IA32_PKRS) + write + WRMSR(IA32_PKRS); one op in pks_tag_every tags a page: set_memory_pkey (cpa, splits unless grouped, cpa_flush)";

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
        foreach (var e in cpu.Run(clock.Cycles(2 * context.Params.WrmsrPkrsCycles) + context.Params.Write, TimeCategory.Kernel))
            yield return e;
    }
}
