using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Linux;
using TlbSim.Model.Mechanisms;
using TlbSim.Model.Memory;
using TlbSim.Model.Units;

namespace TlbSim.Model.Workloads;

/// <summary>
/// A recorded workload replayed (<c>workload: {trace: FILE}</c>). The rule, decided once:
/// <list type="bullet">
/// <item>simulated CPU i replays recorded CPU i mod T (T recorded CPUs); when the machine has more CPUs than
/// the trace, the k-th copy of a recorded CPU starts k/copies of the way into the trace, so copies are not in
/// step; with fewer, the recorded CPUs beyond the machine's are dropped. Each CPU loops over the trace.</item>
/// <item>between events a CPU runs its task (workload slices, with its translation misses) or idles as the
/// recorded sched_switch says; each recorded switch to a user task is a context switch to that thread, on its
/// process's mm (from perf script's pid/tid; without them each thread is its own process), a switch to a
/// kernel thread keeps the mm lazily (enter_lazy_tlb), one to swapper idles.</item>
/// <item>each recorded initiator flush (tlb:tlb_flush TLB_REMOTE_SEND_IPI, or TLB_LOCAL_MM_SHOOTDOWN not
/// preceded by one within 20 us, the same flush_tlb_mm_range) is a flush_tlb_mm_range of the running task's
/// mm of the recorded size; TLB_LOCAL_SHOOTDOWN (arch_tlbbatch_flush) is that; the simulated mm_cpumask picks
/// the targets. Flushes received (TLB_REMOTE_SHOOTDOWN), on task switch and call-function IPIs are outcomes,
/// not inputs.</item>
/// <item>each allocation of a user page and each free of one (the trace's page ownership transitions) is an
/// operation of a mechanism driven by page transitions (XPFO); other mechanisms' operations come at
/// operations.rate from the initiating CPUs, between slices.</item>
/// </list>
/// </summary>
public static partial class Experiment
{
    private static readonly long SameFlushWindowPs = Duration.FromMicroseconds(20).Picoseconds;

    private static IEnumerable<Event> TraceProgram(Cpu cpu, RunSpec spec, RecordedTrace trace, IMechanism mechanism, MechanismContext context,
        Dictionary<int, TaskStruct> tasks, Dictionary<int, AddressSpace> processes, bool initiates, IRunObserver observer, long warmupEnd, OperationBreakdown[] breakdown)
    {
        var sim = cpu.Machine.Simulation;
        var kernel = context.Kernel;
        int machineCpus = cpu.Machine.Cpus.Count;
        int recorded = cpu.Id % trace.Cpus;
        int copies = (machineCpus + trace.Cpus - 1) / trace.Cpus;
        var events = trace.PerCpu[recorded];
        long duration = trace.DurationPs;
        long offset = cpu.Id / trace.Cpus * duration / copies;
        var opRng = sim.Random.Stream($"cpu{cpu.Id}.operations");
        double rate = spec.Operations.Rate;
        long nextOp = initiates ? sim.NowPicoseconds + Math.Max(1, (long)(MathNet.Numerics.Distributions.Exponential.Sample(opRng, rate) * 1e12)) : long.MaxValue;
        long slice = spec.Workload.Slice.Picoseconds;
        if (events.Length == 0)
        {
            foreach (var e in cpu.IdleForever())
                yield return e;
            yield break;
        }
        // Start where the offset falls: the state is that of the last switch before it.
        int next = Array.FindIndex(events, e => e.TimePs >= offset);
        if (next < 0)
            next = 0;
        bool idle = true;
        for (int k = next - 1; k >= 0; k--)
        {
            if (events[k].Kind is TraceEventKind.Switch or TraceEventKind.Idle)
            {
                idle = events[k].Kind == TraceEventKind.Idle;
                break;
            }
        }
        long loopBase = -offset; // simulated time = recorded time + loopBase
        long lastInitiatorFlush = long.MinValue;

        IEnumerable<Event> Operate() => MeasuredOperation(cpu, mechanism, context, observer, warmupEnd, breakdown, sim.NowPicoseconds);

        while (true)
        {
            if (next == events.Length)
            {
                next = 0;
                loopBase += duration;
            }
            var ev = events[next];
            long due = ev.TimePs + loopBase;
            // Until the event: the recorded state, with the mechanism's operations as they fall due.
            while (sim.NowPicoseconds < due)
            {
                if (cpu.HasQueuedWork)
                {
                    foreach (var e in cpu.RunQueuedWork())
                        yield return e;
                    continue;
                }
                if (sim.NowPicoseconds >= nextOp)
                {
                    foreach (var e in Operate())
                        yield return e;
                    nextOp = sim.NowPicoseconds + Math.Max(1, (long)(MathNet.Numerics.Distributions.Exponential.Sample(opRng, rate) * 1e12));
                    continue;
                }
                long until = Math.Min(due, nextOp) - sim.NowPicoseconds;
                if (idle)
                {
                    LinuxKernel.EnterLazyTlb(cpu);
                    foreach (var e in cpu.Idle(new Duration(until)))
                        yield return e;
                }
                else
                {
                    foreach (var e in cpu.Work(new Duration(Math.Min(until, slice))))
                        yield return e;
                }
            }
            next++;
            var current = kernel.Current[cpu.Id];
            var mm = current?.Mm;
            switch (ev.Kind)
            {
                case TraceEventKind.Idle:
                    idle = true;
                    break;
                case TraceEventKind.Switch when ev.B < 0:
                    idle = false;
                    LinuxKernel.EnterLazyTlb(cpu); // a kernel thread borrows the previous mm
                    break;
                case TraceEventKind.Switch:
                    idle = false;
                    if (!tasks.TryGetValue(ev.A, out var task))
                    {
                        // The thread runs on its process's mm, shared with its other threads.
                        if (!processes.TryGetValue(ev.B, out var process))
                            processes[ev.B] = process = new AddressSpace(2_000_000 + ev.B, $"process{ev.B}");
                        tasks[ev.A] = task = new TaskStruct(2_000_000 + ev.A, process);
                    }
                    if (task != current || cpu.IsLazy || cpu.LoadedMm != task.Mm)
                    {
                        foreach (var e in kernel.ContextSwitch(cpu, task, TimeCategory.Workload))
                            yield return e;
                    }
                    break;
                case TraceEventKind.Flush when mm is not null && !cpu.IsLazy && (ev.A == 4 || (ev.A == 3 && due - lastInitiatorFlush > SameFlushWindowPs)):
                    lastInitiatorFlush = due;
                    foreach (var e in kernel.FlushTlbMmRange(cpu, mm, ev.B < 0 ? long.MaxValue : Math.Max(1, ev.B), freedTables: false))
                        yield return e;
                    break;
                case TraceEventKind.Flush when mm is not null && !cpu.IsLazy && ev.A == 2:
                    foreach (var e in kernel.ArchTlbBatchFlush(cpu, mm))
                        yield return e;
                    break;
                case TraceEventKind.Alloc or TraceEventKind.Free when ev.B == 1 && mechanism.DrivenByPageTransitions:
                    foreach (var e in Operate())
                        yield return e;
                    break;
            }
        }
    }
}
