using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Linux;
using TlbSim.Model.Memory;
using TlbSim.Model.Units;

namespace TlbSim.Model.Mechanisms;

/// <summary>
/// xpfo: exclusive page-frame ownership, as posted (v6-v9, 2018-2019). Every page moving from kernel to user
/// ownership is unmapped from the direct map (forced to 4K pages, so no splits: set_kpte on one PTE), and
/// mapped back, with no flush, when it returns. Only the unmap needs a flush; the policies:
/// <list type="bullet">
/// <item><c>immediate</c> (v6, the v7 cover letter's 2.61x): flush_tlb_kernel_range of the page on every CPU;</item>
/// <item><c>deferred</c> (v7 16/16, "Defer TLB flushes for non-current CPUs"): flush the page locally now
/// (__flush_tlb_one_kernel) and mark every other CPU in a cpumask carried by the current task; a CPU that
/// switches to that task later flushes fully (__flush_tlb_all in switch_mm_irqs_off) and clears its bit; no IPI;</item>
/// <item><c>batched</c>: per-CPU batches of <c>xpfo_batch</c> unmapped frames, flushed together as the kernel
/// would flush them: the span from the lowest to the highest frame goes to flush_tlb_kernel_range, so a batch
/// of scattered frames (the per-CPU lists recycle frames from anywhere) becomes flush_tlb_all.</item>
/// </list>
/// Operations are the workload's page ownership transitions, alternating per CPU between the two
/// directions, reported as two latency series: <c>unmap</c> (kernel to user) and <c>map</c> (user to kernel).
/// </summary>
public sealed class Xpfo : IMechanism
{
    private static readonly IReadOnlyList<string> Kinds = ["unmap", "map"];
    private bool[] _mapBack = [];
    private Batch[] _batches = [];

    private struct Batch
    {
        public int Count;
        public long Low;
        public long High;
    }

    /// <inheritdoc />
    public string Name => "xpfo";

    /// <inheritdoc />
    public string KernelPath => "kernel->user (unmap): set_kpte(4K direct map, gbpages off) then immediate: flush_tlb_kernel_range(1 page) on every CPU; deferred: __flush_tlb_one_kernel locally, the current task's pending cpumask gets every other CPU, switch_mm_irqs_off to it runs __flush_tlb_all; batched: per-CPU batch, flush_tlb_kernel_range(lowest..highest frame) per batch; user->kernel (map): set_kpte, no flush";

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
        _batches = new Batch[cpus];
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
        foreach (var e in cpu.Run(kernel.Params.CpaPerPage, TimeCategory.Kernel)) // set_kpte
            yield return e;
        if (!unmapping)
            yield break; // mapping a page back needs no invalidation
        switch (p.XpfoPolicy)
        {
            case XpfoFlushPolicy.Immediate:
                foreach (var e in kernel.FlushTlbKernelRange(cpu, 1, PageSize.Size4K))
                    yield return e;
                break;
            case XpfoFlushPolicy.Deferred:
                foreach (var e in cpu.RunIrqsOff(kernel.FlushTlbOneKernel(cpu, 1, PageSize.Size4K), TimeCategory.Flush))
                    yield return e;
                kernel.Current[cpu.Id]?.PostFlushToOthers(context.Machine.Cpus.Count, cpu.Id);
                break;
            default:
                long pfn = context.RandomFrame();
                ref var batch = ref _batches[cpu.Id];
                batch.Low = batch.Count == 0 ? pfn : Math.Min(batch.Low, pfn);
                batch.High = batch.Count == 0 ? pfn : Math.Max(batch.High, pfn);
                if (++batch.Count >= p.XpfoBatch)
                {
                    long span = batch.High - batch.Low + 1;
                    batch.Count = 0;
                    foreach (var e in kernel.FlushTlbKernelRange(cpu, span, PageSize.Size4K))
                        yield return e;
                }
                break;
        }
    }
}
