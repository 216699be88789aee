using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Linux;
using TlbSim.Model.Units;

namespace TlbSim.Model.Mechanisms;

/// <summary>
/// static_key: one operation flips a static key (static_key_enable / static_key_disable) with
/// <c>static_key_sites</c> jump sites, as kernel/jump_label.c and arch/x86/kernel/alternative.c do it:
/// under jump_label_mutex and text_mutex, batched (x86 since 5.3: arch_jump_label_transform_queue and
/// _apply, text_poke_queue and text_poke_finish) the sites go to text_poke_bp_batch up to TP_VEC_MAX = 256 at
/// a time; unbatched, each site is its own text_poke_bp. A batch writes an int3 on every site (text_poke),
/// syncs every CPU (text_poke_sync: on_each_cpu(do_sync_core)), writes the sites' tails, syncs, writes their
/// first bytes, syncs: three sync rounds per batch, so 3k rounds for k sites unbatched and 3 per 256 batched.
/// Each text_poke is a write through the temporary poking mm with interrupts off (two CR3 writes, the
/// poking PCID's flush). Between the first and the last sync, a CPU that executes a site being patched traps
/// (#BP) into poke_int3_handler, which bsearches the batch and emulates the instruction: tlbsim charges each
/// other CPU the expected number of such traps (Poisson at <c>static_key_site_rate</c> over the window) at the
/// interrupt entry and exit plus the search. Reports the flip and, as a second kind, each sync round.
/// </summary>
public sealed class StaticKey : IMechanism
{
    /// <summary>TP_VEC_MAX: PAGE_SIZE / sizeof(struct text_poke_loc), 4096 / 16.</summary>
    public const int BatchMax = 256;

    private static readonly string[] Kinds = ["flip", "sync"];

    /// <inheritdoc />
    public string Name => "static_key";

    /// <inheritdoc />
    public IReadOnlySet<string>? ParamsRead { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "write", "sync_core_cycles", "int3_search_step", "static_key_batch", "static_key_site_rate", "static_key_sites",
    };

    /// <inheritdoc />
    public string KernelPath => "static_key_enable/disable -> jump_label_update (jump_label_mutex, text_mutex) -> batched: text_poke_queue/text_poke_finish -> text_poke_bp_batch per 256 sites; unbatched: text_poke_bp per site; each batch: text_poke(int3) x n, text_poke_sync (on_each_cpu(do_sync_core)), text_poke(tails) x n, sync, text_poke(first bytes) x n, sync; a CPU hitting a site meanwhile traps into poke_int3_handler (bsearch over the batch); the flipping task can lose its CPU (kernel.preempt) at each mutex_lock (voluntary), at the batch's cond_resched (every model), after each poke and each sync (full), keeping its mutexes";

    /// <inheritdoc />
    public IReadOnlyList<string> OperationKinds => Kinds;

    /// <inheritdoc />
    public IEnumerable<Event> Operate(MechanismContext context, Cpu cpu)
    {
        var p = context.Params;
        var kernel = context.Kernel;
        var machine = context.Machine;
        var clock = machine.Params.Cpu.Frequency;
        var cr3 = clock.Cycles(machine.Params.Tlb.Cr3WriteCycles);
        // __text_poke: set_pte, use_temporary_mm (CR3 write, poking PCID flushed), write, pte_clear, unuse (CR3 write).
        var poke = p.Write + cr3 + cr3 + p.Write + p.Write + cr3;
        var sync = clock.Cycles(p.SyncCoreCycles);
        CallFunction doSyncCore = _ => sync;
        // static_key_enable: cpus_read_lock and jump_label_lock (might_sleep in each), held for the whole flip.
        foreach (var e in kernel.PreemptionPoint(cpu, PreemptPoint.MightSleep))
            yield return e;
        using var jumpLabelMutex = context.JumpLabelMutex.Request();
        foreach (var e in cpu.SpinUntil(jumpLabelMutex, TimeCategory.Kernel)) // mutex_optimistic_spin: the owner is running
            yield return e;
        if (p.StaticKeyBatch)
        {
            // Mainline (batched since 5.3, ba54f0c3f7c4): arch_jump_label_transform_queue takes and drops
            // text_mutex for each site it queues (mutex_lock's might_sleep); a full vector, or the last one in
            // arch_jump_label_transform_apply, is finished under text_mutex, and smp_text_poke_batch_finish
            // opens with cond_resched (since 6.5, 9350a629e839). The brief per-site holds are not modelled as
            // waits; text_mutex is held from each batch's finish to its last sync.
            for (int first = 0; first < p.StaticKeySites; first += BatchMax)
            {
                int n = Math.Min(BatchMax, p.StaticKeySites - first);
                for (int i = 0; i < n; i++)
                {
                    foreach (var e in kernel.PreemptionPoint(cpu, PreemptPoint.MightSleep))
                        yield return e;
                }
                using var textMutex = context.TextMutex.Request();
                foreach (var e in cpu.SpinUntil(textMutex, TimeCategory.Kernel))
                    yield return e;
                foreach (var e in kernel.PreemptionPoint(cpu, PreemptPoint.CondResched))
                    yield return e;
                foreach (var e in PokeBatch(context, cpu, n, poke, doSyncCore))
                    yield return e;
            }
        }
        else
        {
            // Before 5.3: arch_jump_label_transform per site, text_mutex taken (might_sleep) and dropped around
            // each text_poke_bp.
            for (int site = 0; site < p.StaticKeySites; site++)
            {
                foreach (var e in kernel.PreemptionPoint(cpu, PreemptPoint.MightSleep))
                    yield return e;
                using var textMutex = context.TextMutex.Request();
                foreach (var e in cpu.SpinUntil(textMutex, TimeCategory.Kernel))
                    yield return e;
                foreach (var e in PokeBatch(context, cpu, 1, poke, doSyncCore))
                    yield return e;
            }
        }
    }

    /// <summary>
    /// text_poke_bp_batch over <paramref name="n"/> sites: int3s, sync, tails, sync, first bytes, sync. Each
    /// __text_poke ends with interrupts and preemption enabled, and each text_poke_sync with on_each_cpu's
    /// preempt_enable: points under full preemption only.
    /// </summary>
    private static IEnumerable<Event> PokeBatch(MechanismContext context, Cpu cpu, int n, Duration poke, CallFunction doSyncCore)
    {
        var kernel = context.Kernel;
        var machine = context.Machine;
        long windowStart = -1;
        for (int step = 0; step < 3; step++)
        {
            for (int i = 0; i < n; i++)
            {
                foreach (var e in cpu.RunIrqsOff(poke, TimeCategory.Kernel))
                    yield return e;
                foreach (var e in kernel.PreemptionPoint(cpu, PreemptPoint.PreemptEnable))
                    yield return e;
            }
            var start = machine.Simulation.Now;
            if (windowStart < 0)
                windowStart = start.Picoseconds;
            foreach (var e in kernel.OnEachCpuMask(cpu, machine.OthersOf(cpu), doSyncCore, runLocal: true))
                yield return e;
            context.Report(1, machine.Simulation.Now - start);
            foreach (var e in kernel.PreemptionPoint(cpu, PreemptPoint.PreemptEnable))
                yield return e;
        }
        ChargeInt3Traps(context, cpu, n, new Duration(machine.Simulation.NowPicoseconds - windowStart));
    }

    /// <summary>poke_int3_handler on the other CPUs: traps while the int3s are in place, each an interrupt entry and exit plus a bsearch.</summary>
    private static void ChargeInt3Traps(MechanismContext context, Cpu me, int sites, Duration window)
    {
        var p = context.Params;
        if (p.StaticKeySiteRate <= 0 || window.Picoseconds <= 0)
            return;
        var cpuParams = context.Machine.Params.Cpu;
        var trap = cpuParams.InterruptEntry + cpuParams.InterruptExit + p.Int3SearchStep * Math.Ceiling(Math.Log2(sites + 1));
        double mean = p.StaticKeySiteRate * window.TotalSeconds;
        foreach (var other in context.Machine.Cpus)
        {
            if (other == me)
                continue;
            int traps = MathNet.Numerics.Distributions.Poisson.Sample(context.Random, mean);
            if (traps > 0)
                other.OweKernelTime(trap * traps);
        }
    }
}
