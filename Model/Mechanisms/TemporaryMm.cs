using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;

namespace TlbSim.Model.Mechanisms;

/// <summary>
/// temporary_mm: rare_write / rare_write_copy through a temporary mm, as __text_poke does: with IRQs and
/// preemption off, set the poking PTE, use_temporary_mm (a CR3 write that flushes the poking PCID, since its
/// generation is stale from the last use), write through the poking address, clear the PTE,
/// unuse_temporary_mm (a CR3 write back), and flush_tlb_mm_range on the poking mm, whose cpumask is empty:
/// no IPI, ever, at any CPU count. There is one poking address, so callers hold text_mutex (__text_poke
/// asserts it): concurrent initiators queue for it (mutex_lock, which spins while the owner runs), and the
/// wait is part of the operation's latency.
/// </summary>
public sealed class TemporaryMm : IMechanism
{
    /// <inheritdoc />
    public string Name => "temporary_mm";

    /// <inheritdoc />
    public string KernelPath => "mutex_lock(text_mutex); local_irq_save; set_pte; use_temporary_mm (CR3 write, PCID flush); write; pte_clear; unuse_temporary_mm (CR3 write); flush_tlb_mm_range(poking_mm): no remote CPU; local_irq_restore; mutex_unlock(text_mutex)";

    /// <inheritdoc />
    public IEnumerable<Event> Operate(MechanismContext context, Cpu cpu)
    {
        var p = context.Params;
        var clock = context.Machine.Params.Cpu.Frequency;
        var cr3 = clock.Cycles(context.Machine.Params.Tlb.Cr3WriteCycles);
        var pte = context.Params.Write; // set_pte and pte_clear: a store each
        var copy = Units.Duration.FromSeconds(p.TemporaryMmBytes / p.CopyBytesPerSecond);
        using var textMutex = context.TextMutex.Request();
        foreach (var e in cpu.SpinUntil(textMutex, TimeCategory.Kernel)) // mutex_optimistic_spin: the owner is running
            yield return e;
        // Everything runs with IRQs off: an IPI arriving meanwhile waits until local_irq_restore.
        foreach (var e in cpu.Spend(pte + cr3, TimeCategory.Kernel))
            yield return e;
        foreach (var e in cpu.Spend(cr3, TimeCategory.Flush)) // the poking PCID's stale entries
            yield return e;
        foreach (var e in cpu.Spend(p.Write + copy + pte + cr3, TimeCategory.Kernel))
            yield return e;
        // flush_tlb_mm_range(poking_mm): its cpumask is empty and it is not loaded, so it only bumps tlb_gen.
        foreach (var e in context.Kernel.FlushTlbMmRange(cpu, context.PokingMm, 1, freedTables: false))
            yield return e;
        foreach (var e in cpu.RunIrqsOff(Units.Duration.Zero, TimeCategory.Kernel))
            yield return e;
    }
}
