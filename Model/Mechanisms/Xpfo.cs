using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Linux;
using TlbSim.Model.Memory;
using TlbSim.Model.Units;

namespace TlbSim.Model.Mechanisms;

/// <summary>
/// xpfo: exclusive page-frame ownership, as posted (v6-v9, 2018-2019). Every page moving from kernel to user
/// ownership is unmapped from the direct map (forced to 4K pages, so no splits: set_kpte on one PTE), and
/// mapped back, with no flush, when it returns. Only the unmap needs a flush; the policies, one per posted
/// version:
/// <list type="bullet">
/// <item><c>immediate</c> (v6, v7 without 16/16; the v7 cover letter's 2.61x): xpfo_flush_kernel_tlb is
/// flush_tlb_kernel_range of the page, an IPI to every CPU;</item>
/// <item><c>deferred_per_task</c> (v7 16/16): flush the page locally (do_kernel_range_flush) and set the current
/// task's pending_xpfo_flush to every other CPU; a CPU that switch_mm_irqs_off later switches to that task
/// flushes fully (__flush_tlb_all) and clears its bit; no IPI;</item>
/// <item><c>deferred_global</c> (v9 12/13): the same local flush (xpfo_flush_tlb_kernel_range), and every other
/// CPU ORed into one global pending_xpfo_flush, taken at each CPU's next switch_mm_irqs_off whatever the task;
/// no IPI;</item>
/// <item><c>refill_batched</c> (v9 13/13 on 12/13): the unmapping happens when __rmqueue_pcplist refills the
/// per-CPU MOVABLE list: xpfo_pcp_refill marks each page user and unmaps it (set_kpte), then one
/// xpfo_flush_tlb_all, a local do_flush_tlb_all and the global pending mark. A user allocation from the list
/// finds its page unmapped and does nothing; pages user space frees stay unmapped. tlbsim counts one refill per
/// <c>xpfo_batch</c> kernel-to-user transitions on a CPU, and that transition pays the refill.</item>
/// </list>
/// An IPI-batched variant (flush_tlb_kernel_range over each batch) is no posted version, and tlbsim has none.
/// Operations are the workload's page ownership transitions, alternating per CPU between the two
/// directions, reported as two latency series: <c>unmap</c> (kernel to user) and <c>map</c> (user to kernel).
/// </summary>
public sealed class Xpfo : IMechanism
{
    private static readonly IReadOnlyList<string> Kinds = ["unmap", "map"];
    private bool[] _mapBack = [];
    private int[] _refilled = [];

    /// <inheritdoc />
    public IReadOnlySet<string>? ParamsRead { get; } = new HashSet<string>(StringComparer.Ordinal) { "xpfo_policy", "xpfo_batch" };

    /// <inheritdoc />
    public string Name => "xpfo";

    /// <inheritdoc />
    public string KernelPath => "kernel->user (unmap): set_kpte(4K direct map, gbpages off) then immediate: flush_tlb_kernel_range(1 page) on every CPU; deferred_per_task (v7 16/16): do_kernel_range_flush locally, current->pending_xpfo_flush = every other CPU, switch_mm_irqs_off to that task runs __flush_tlb_all; deferred_global (v9 12/13): xpfo_flush_tlb_kernel_range locally, global pending_xpfo_flush |= every other CPU, each CPU's next switch_mm_irqs_off runs __flush_tlb_all; refill_batched (v9 13/13): __rmqueue_pcplist refill: xpfo_pcp_refill (set_kpte) per page, xpfo_flush_tlb_all (do_flush_tlb_all locally, global pending mark), allocations from the list nothing; user->kernel (map): set_kpte, no flush";

    /// <inheritdoc />
    public bool DrivenByPageTransitions => true;

    /// <inheritdoc />
    public IReadOnlyList<string> OperationKinds => Kinds;

    /// <inheritdoc />
    public KernelParams Adjust(KernelParams kernel) => kernel with { Force4kDirectMap = true, GbPages = false };

    /// <inheritdoc />
    public void Attach(MechanismContext context)
    {
        int cpus = context.Machine.Cpus.Count;
        _mapBack = new bool[cpus];
        _refilled = new int[cpus];
    }

    /// <inheritdoc />
    public int LastKind(Cpu cpu) => _mapBack[cpu.Id] ? 0 : 1; // the next transition maps back after an unmap

    /// <inheritdoc />
    public IEnumerable<Event> Operate(MechanismContext context, Cpu cpu)
    {
        var kernel = context.Kernel;
        var p = context.Params;
        bool unmapping = !_mapBack[cpu.Id];
        _mapBack[cpu.Id] = unmapping;
        if (!unmapping || p.XpfoPolicy != XpfoFlushPolicy.RefillBatched)
        {
            foreach (var e in cpu.Run(kernel.Params.CpaPerPage, TimeCategory.Kernel)) // set_kpte
                yield return e;
        }
        if (!unmapping)
            yield break; // mapping a page back needs no invalidation
        switch (p.XpfoPolicy)
        {
            case XpfoFlushPolicy.Immediate:
                foreach (var e in kernel.FlushTlbKernelRange(cpu, 1, PageSize.Size4K))
                    yield return e;
                break;
            case XpfoFlushPolicy.DeferredPerTask or XpfoFlushPolicy.DeferredGlobal:
                foreach (var e in cpu.RunIrqsOff(kernel.FlushTlbOneKernel(cpu, 1, PageSize.Size4K), TimeCategory.Flush))
                    yield return e;
                if (p.XpfoPolicy == XpfoFlushPolicy.DeferredGlobal)
                    kernel.PostXpfoFlushToOthers(cpu);
                else
                    kernel.Current[cpu.Id]?.PostFlushToOthers(context.Machine.Cpus.Count, cpu.Id);
                break;
            default:
                // The page came from the per-CPU list, unmapped when the list was refilled; the transition that
                // empties the list refills it: xpfo_pcp_refill's set_kpte on each page, then xpfo_flush_tlb_all.
                if (++_refilled[cpu.Id] < p.XpfoBatch)
                    break;
                _refilled[cpu.Id] = 0;
                foreach (var e in cpu.Run(kernel.Params.CpaPerPage * p.XpfoBatch, TimeCategory.Kernel))
                    yield return e;
                foreach (var e in cpu.RunIrqsOff(kernel.DoFlushTlbAll(cpu), TimeCategory.Flush))
                    yield return e;
                kernel.PostXpfoFlushToOthers(cpu);
                break;
        }
    }
}
