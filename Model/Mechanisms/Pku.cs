using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;

namespace TlbSim.Model.Mechanisms;

/// <summary>
/// pku: user protection keys (seed 004). The thread opens write access with WRPKRU, writes, and closes it
/// with WRPKRU: a thread-local register change, no page-table change, no flush, no IPI. The pages carry the
/// key in their PTEs: one operation in <c>pku_tag_every</c> tags a new page with pkey_mprotect, which is an
/// mprotect (change_protection, then flush_tlb_mm_range of the page to the CPUs of the process's mm_cpumask).
/// </summary>
public sealed class Pku : IMechanism
{
    private long _operations;

    /// <inheritdoc />
    public string Name => "pku";

    /// <inheritdoc />
    public string KernelPath => "WRPKRU + write + WRPKRU in user space: no kernel entry, no flush; one op in pku_tag_every: pkey_mprotect(1 page) -> change_protection + flush_tlb_mm_range(user mm) to the process's other CPUs";

    /// <inheritdoc />
    public IEnumerable<Event> Operate(MechanismContext context, Cpu cpu)
    {
        var clock = context.Machine.Params.Cpu.Frequency;
        if (++_operations % context.Params.PkuTagEvery == 0)
        {
            foreach (var e in context.Kernel.Mprotect(cpu, context.UserMm, 1))
                yield return e;
        }
        foreach (var e in cpu.Run(clock.Cycles(2 * context.Params.WrpkruCycles) + context.Params.Write, TimeCategory.Kernel))
            yield return e;
    }
}
