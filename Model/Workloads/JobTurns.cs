using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Linux;
using TlbSim.Model.Units;

namespace TlbSim.Model.Workloads;

/// <summary>
/// The turns of the jobs sharing one CPU (jobs_per_cpu), as an operation's preemption points see them: the
/// operation's task has until <see cref="TurnEndPs"/>; the first scheduler tick after that sets need_resched
/// (task_tick_fair -> update_curr -> resched_curr); at a preemption point the kernel.preempt model allows,
/// each other job then runs one sched_base_slice turn (CPU-bound work, switched to and back), and the
/// operation resumes with a new turn, its locks still held.
/// </summary>
internal sealed class JobTurns(LinuxKernel kernel, RunQueues runQueues, System.Random schedRng, int jobs) : ICpuScheduler
{
    private readonly long _slicePs = kernel.Params.SchedBaseSlice.Picoseconds;
    private readonly long _tickPs = 1_000_000_000_000L / kernel.Params.Hz;

    // PREEMPT_LAZY: the tick that finds the turn over marks the task lazily; the next one makes it need_resched.
    private readonly int _ticksLate = kernel.Params.Preempt == PreemptModel.Lazy ? 1 : 0;

    /// <summary>When the running operation's turn ends.</summary>
    public long TurnEndPs { get; set; }

    /// <summary>Work the other jobs did during preemptions since the last reset, in picoseconds.</summary>
    public long OthersRanPs { get; set; }

    /// <inheritdoc />
    public bool NeedResched(Cpu cpu)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        long tick = ((TurnEndPs + _tickPs - 1) / _tickPs + _ticksLate) * _tickPs;
        return jobs > 1 && cpu.Machine.Simulation.NowPicoseconds >= tick;
    }

    /// <inheritdoc />
    public IEnumerable<Event> Schedule(Cpu cpu)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        var sim = cpu.Machine.Simulation;
        var owner = kernel.Current[cpu.Id];
        for (int j = 1; j < jobs; j++)
        {
            var next = runQueues.PickNext(cpu.Id, schedRng, 0);
            if (next is not null)
            {
                foreach (var e in kernel.ContextSwitch(cpu, next, TimeCategory.Workload))
                    yield return e;
            }
            long start = sim.NowPicoseconds;
            foreach (var e in cpu.Work(new Duration(_slicePs)))
                yield return e;
            OthersRanPs += sim.NowPicoseconds - start;
        }
        if (owner is not null && kernel.Current[cpu.Id] != owner)
        {
            foreach (var e in kernel.ContextSwitch(cpu, owner, TimeCategory.Workload))
                yield return e;
        }
        TurnEndPs = sim.NowPicoseconds + _slicePs;
    }
}
