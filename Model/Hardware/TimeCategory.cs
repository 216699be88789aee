namespace TlbSim.Model.Hardware;

/// <summary>Where a CPU's time goes; the categories of one CPU sum to the elapsed time.</summary>
public enum TimeCategory
{
    /// <summary>The workload's own instructions (user and kernel), excluding translation misses.</summary>
    Workload,

    /// <summary>Kernel work of the mechanism under study: syscalls, faults, attribute changes, page-table updates.</summary>
    Kernel,

    /// <summary>Interrupt entry and exit.</summary>
    Interrupt,

    /// <summary>Flush work: sending IPIs, invalidating, waiting for acknowledgments.</summary>
    Flush,

    /// <summary>Translation misses: STLB hits, page walks, and the refills that follow a flush.</summary>
    Walk,

    /// <summary>
    /// Waiting for a contended kernel lock: the spin of a queued spinlock (native_queued_spin_lock_slowpath)
    /// and the transfer of its lock word, or the atomics of an rwsem or a shared counter finding their cache
    /// line on another CPU. A profile shows it as lock time, not as the work the lock protects.
    /// </summary>
    Lock,

    /// <summary>Idle, including the exit latency of an idle state.</summary>
    Idle,
}

/// <summary>
/// Where an initiator's time waiting on other CPUs went, summed over its shootdown rounds: the critical
/// (last) target's idle wake-up and its interrupts-off delay, the per-target work of the initiator
/// (csd_lock and llist_add on each target, the ICR writes, and csd_lock_wait's walk over the csds), and the
/// rest of the wait (IPI delivery, the target's interrupt entry and flush, the unlock).
/// </summary>
public sealed class LatencyBreakdown
{
    /// <summary>Waiting for the critical target to wake from idle, in picoseconds.</summary>
    public long WakePs { get; internal set; }

    /// <summary>Waiting for the critical target to enable interrupts, in picoseconds.</summary>
    public long IrqsOffPs { get; internal set; }

    /// <summary>The initiator's own per-target work, in picoseconds.</summary>
    public long PerTargetPs { get; internal set; }

    /// <summary>The rest of the wait for the targets, in picoseconds.</summary>
    public long RemoteWaitPs { get; internal set; }
}
