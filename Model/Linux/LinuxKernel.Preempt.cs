using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;

namespace TlbSim.Model.Linux;

/// <summary>A place in a kernel path where, depending on the preemption model, the running task may lose its CPU.</summary>
public enum PreemptPoint
{
    /// <summary>cond_resched(): a rescheduling point under none and voluntary; under full it does nothing, but the code there is preemptible, so it is a point all the same.</summary>
    CondResched,

    /// <summary>might_sleep() (mutex_lock, cpus_read_lock, a GFP_KERNEL allocation): a rescheduling point under voluntary, and under full since the code is preemptible there.</summary>
    MightSleep,

    /// <summary>preempt_enable() or local_irq_restore() back to a preemptible context (the end of on_each_cpu, of __text_poke): a point under full only.</summary>
    PreemptEnable,
}

/// <summary>The turns of the tasks sharing a CPU, as a kernel path asks about them at its preemption points.</summary>
public interface ICpuScheduler
{
    /// <summary>need_resched: the running task's turn is over and the tick has noticed.</summary>
    bool NeedResched(Cpu cpu);

    /// <summary>schedule(): the other runnable tasks take their turns; the running task continues after them.</summary>
    IEnumerable<Event> Schedule(Cpu cpu);
}

/// <summary>Preemption of long kernel operations between their steps.</summary>
public sealed partial class LinuxKernel
{
    private ICpuScheduler?[] _schedulers = [];

    /// <summary>Times a kernel operation lost its CPU at a preemption point.</summary>
    public long Preemptions { get; private set; }

    /// <summary>
    /// Sets (or clears, with null) the scheduler that <paramref name="cpu"/>'s running operation answers to at
    /// its preemption points; without one, a point never preempts (the task is alone on its CPU).
    /// </summary>
    public void SetScheduler(Cpu cpu, ICpuScheduler? scheduler)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        if (_schedulers.Length == 0)
            _schedulers = new ICpuScheduler?[Machine.Cpus.Count];
        _schedulers[cpu.Id] = scheduler;
    }

    /// <summary>
    /// A preemption point of the kind <paramref name="point"/>: when kernel.preempt makes it one and the task's
    /// turn is over, the other tasks on the CPU run their turns first (the caller keeps every lock it holds).
    /// </summary>
    public IEnumerable<Event> PreemptionPoint(Cpu me, PreemptPoint point)
    {
        ArgumentNullException.ThrowIfNull(me);
        var scheduler = _schedulers.Length == 0 ? null : _schedulers[me.Id];
        if (scheduler is null || !Preemptible(Params.Preempt, point) || !scheduler.NeedResched(me))
            return [];
        Preemptions++;
        return scheduler.Schedule(me);
    }

    /// <summary>Whether <paramref name="point"/> lets the task lose its CPU under <paramref name="model"/>.</summary>
    public static bool Preemptible(PreemptModel model, PreemptPoint point) => point switch
    {
        PreemptPoint.CondResched => true,
        PreemptPoint.MightSleep => model != PreemptModel.None,
        _ => model is PreemptModel.Full or PreemptModel.Lazy,
    };
}
