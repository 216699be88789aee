using TlbSim.Model.Memory;

namespace TlbSim.Model.Linux;

/// <summary>
/// A task (struct task_struct): a thread of the process whose address space it runs in, and the CPUs that
/// owe it a full TLB flush before they run it (XPFO's deferred flush, carried by the task).
/// </summary>
public sealed class TaskStruct(int id, AddressSpace mm)
{
    private bool[]? _pendingFlush;

    /// <summary>Task id.</summary>
    public int Id { get; } = id;

    /// <summary>The process's address space (threads of one process share it).</summary>
    public AddressSpace Mm { get; } = mm;

    /// <summary>Marks every CPU but <paramref name="except"/> as owing a full flush before it next runs this task.</summary>
    public void PostFlushToOthers(int cpus, int except)
    {
        _pendingFlush ??= new bool[cpus];
        Array.Fill(_pendingFlush, true);
        _pendingFlush[except] = false;
    }

    /// <summary>Whether <paramref name="cpu"/> owes this task a flush; clears the mark (the caller flushes).</summary>
    public bool TakePendingFlush(int cpu)
    {
        if (_pendingFlush is null || !_pendingFlush[cpu])
            return false;
        _pendingFlush[cpu] = false;
        return true;
    }

    /// <summary>Whether <paramref name="cpu"/> owes this task a flush.</summary>
    public bool OwesFlush(int cpu) => _pendingFlush is not null && _pendingFlush[cpu];

    /// <inheritdoc />
    public override string ToString() => $"task {Id} ({Mm})";
}
