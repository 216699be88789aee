using TlbSim.Model.Linux;
using TlbSim.Model.Mechanisms;
using TlbSim.Model.Memory;

namespace TlbSim.Model.Workloads;

/// <summary>
/// The workload's tasks and the CPU each is queued on. Every CPU starts with <c>tasks_per_cpu</c> processes of
/// its own (on the first CPUs the first one is a thread of the mechanism's user process, whose mm_cpumask
/// the droppable and pku flushes target). A context switch picks another task of the CPU's queue; with the
/// workload's migration share it instead pulls a task that is waiting on another CPU (CFS load balancing),
/// so a task, and the flushes it carries, moves between CPUs.
/// </summary>
public sealed class RunQueues
{
    private readonly List<TaskStruct>[] _queues;
    private readonly TaskStruct?[] _current;

    /// <summary>Creates the tasks and loads each CPU's first task (its mm loaded, the CPU in its cpumask).</summary>
    public RunQueues(MechanismContext context, int tasksPerCpu)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfLessThan(tasksPerCpu, 1);
        var cpus = context.Machine.Cpus;
        int processCpus = Math.Min(context.Params.DroppableProcessCpus, cpus.Count);
        _queues = new List<TaskStruct>[cpus.Count];
        _current = context.Kernel.Current;
        int taskId = 0;
        int mmId = 100; // 1 and 2 are the mechanism's user and poking mms
        for (int c = 0; c < cpus.Count; c++)
        {
            _queues[c] = new List<TaskStruct>(tasksPerCpu + 1);
            for (int k = 0; k < tasksPerCpu; k++)
            {
                var mm = k == 0 && c < processCpus ? context.UserMm : new AddressSpace(mmId++, $"process{c}.{k}");
                _queues[c].Add(new TaskStruct(taskId++, mm));
            }
            var first = _queues[c][0];
            context.Kernel.Current[c] = first;
            cpus[c].LoadedMm = first.Mm;
            first.Mm.AddCpu(c);
        }
    }

    /// <summary>
    /// The task <paramref name="cpu"/> switches to next, or null when it has no other: with probability
    /// <paramref name="migration"/> a waiting task pulled from another CPU chosen at random (if that CPU has
    /// one waiting), otherwise a waiting task of its own queue, chosen at random.
    /// </summary>
    public TaskStruct? PickNext(int cpu, System.Random rng, double migration)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (migration > 0 && _queues.Length > 1 && rng.NextDouble() < migration)
        {
            int other = rng.Next(_queues.Length - 1);
            if (other >= cpu)
                other++;
            var pulled = Waiting(_queues[other], _current[other], rng);
            if (pulled is not null)
            {
                _queues[other].Remove(pulled);
                _queues[cpu].Add(pulled);
                return pulled;
            }
        }
        return Waiting(_queues[cpu], _current[cpu], rng);
    }

    private static TaskStruct? Waiting(List<TaskStruct> queue, TaskStruct? running, System.Random rng)
    {
        int waiting = queue.Count - (running is not null && queue.Contains(running) ? 1 : 0);
        if (waiting <= 0)
            return null;
        int pick = rng.Next(waiting);
        foreach (var t in queue)
        {
            if (t == running)
                continue;
            if (pick-- == 0)
                return t;
        }
        return null;
    }
}
