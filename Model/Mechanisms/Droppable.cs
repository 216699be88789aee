using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;

namespace TlbSim.Model.Mechanisms;

/// <summary>
/// droppable: VM_DROPPABLE pages (seed 002, the vDSO getrandom state). Under memory pressure reclaim drops
/// a batch of them: try_to_unmap with TTU_BATCH_FLUSH zaps each PTE, and arch_tlbbatch_flush flushes only
/// the CPUs in the owning mm's cpumask, once per batch. A dropped page re-faults as a zero page when next
/// touched (not charged here: tlbsim counts the drops).
/// </summary>
public sealed class Droppable : IMechanism
{
    /// <inheritdoc />
    public string Name => "droppable";

    /// <inheritdoc />
    public string KernelPath => "reclaim pass: zap droppable_batch PTEs (try_to_unmap, TTU_BATCH_FLUSH) + arch_tlbbatch_flush on the mm's cpumask";

    /// <inheritdoc />
    public IEnumerable<Event> Operate(MechanismContext context, Cpu cpu)
    {
        var kernel = context.Kernel;
        foreach (var e in cpu.Run(kernel.Params.ZapPerPage * context.Params.DroppableBatch, TimeCategory.Kernel))
            yield return e;
        foreach (var e in kernel.ArchTlbBatchFlush(cpu, context.UserMm))
            yield return e;
    }
}
