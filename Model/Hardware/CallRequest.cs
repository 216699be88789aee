using TlbSim.Model.Kernel;
using TlbSim.Model.Units;

namespace TlbSim.Model.Hardware;

/// <summary>
/// A function that a CPU runs for a call-function request (flush_tlb_func, do_flush_tlb_all...): it
/// applies its effects to <paramref name="cpu"/> and returns the time it takes there, spent with
/// interrupts off. A function is a cost, not a program, so a target that is simply running can take the
/// request without a process switch (see <see cref="Cpu"/>).
/// </summary>
public delegate Duration CallFunction(Cpu cpu);

/// <summary>
/// The requests of one smp_call_function_many_cond round (the initiator's cfd, reused round after round):
/// the csds it queued, in CPU order, and the event that fires when the last target has unlocked its csd.
/// </summary>
public sealed class CallRound
{
    private int _pending;
    private long _lastUnlockPs;

    internal CallRound(Simulation simulation) => Done = new Event(simulation);

    /// <summary>Fires when every target has unlocked its csd.</summary>
    public Event Done { get; }

    /// <summary>The requests, in the order they were queued (CPU order).</summary>
    public List<CallRequest> Requests { get; } = [];

    /// <summary>True while a round is in progress on this cfd.</summary>
    internal bool InUse { get; set; }

    /// <summary>
    /// The targets acknowledge on taking the request, before running its function: the asynchronous calls of
    /// the early-acknowledgement series (lore 20190531063645.4697-12-namit@vmware.com), set by the kernel only
    /// for a user flush that frees no page tables.
    /// </summary>
    public bool AcknowledgeOnEntry { get; private set; }

    /// <summary>Starts a round of <paramref name="targets"/> requests, acknowledged on entry when <paramref name="acknowledgeOnEntry"/>.</summary>
    internal void Begin(int targets, bool acknowledgeOnEntry)
    {
        AcknowledgeOnEntry = acknowledgeOnEntry;
        if (Done.IsProcessed)
            Done.ResetForReuse();
        _pending = targets;
        _lastUnlockPs = long.MinValue;
        Requests.Clear();
        InUse = true;
    }

    /// <summary>A target unlocked (or, taking the request at once, will unlock) its csd at <paramref name="atPs"/>.</summary>
    internal void Unlocked(long atPs, long nowPs)
    {
        _lastUnlockPs = Math.Max(_lastUnlockPs, atPs);
        if (--_pending > 0)
            return;
        if (_lastUnlockPs <= nowPs)
            Done.Succeed();
        else
            Done.ScheduleSuccess(_lastUnlockPs - nowPs, EventPriority.Normal, null);
    }
}

/// <summary>A function queued on a CPU's call-single queue (a csd): run by the target, then unlocked. Pooled by the machine.</summary>
public sealed class CallRequest
{
    private CallRound? _round;

    /// <summary>A request of <paramref name="initiator"/> for <paramref name="target"/>.</summary>
    public CallRequest(Cpu initiator, Cpu target, CallFunction function, CallRound? round) => Set(initiator, target, function, round);

    /// <summary>When the request was queued (set by <see cref="Cpu.Enqueue"/>), in picoseconds.</summary>
    public long QueuedAtPs { get; internal set; }

    /// <summary>The CPU that queued it.</summary>
    public Cpu Initiator { get; private set; } = null!;

    /// <summary>The CPU whose queue holds it.</summary>
    public Cpu Target { get; private set; } = null!;

    /// <summary>What the target runs (with interrupts off), e.g. flush_tlb_func.</summary>
    public CallFunction Function { get; private set; } = null!;

    /// <summary>When the target unlocked the csd (csd_unlock), in picoseconds; -1 until then.</summary>
    public long UnlockedAtPs { get; private set; }

    /// <summary>The idle-state wake-up the target paid before taking this request, in picoseconds.</summary>
    public long WakePs { get; internal set; }

    /// <summary>How long the request waited at the target, past delivery and wake-up, for interrupts to be enabled, in picoseconds.</summary>
    public long IrqsOffPs { get; internal set; }

    /// <summary>Fills a pooled request.</summary>
    internal void Set(Cpu initiator, Cpu target, CallFunction function, CallRound? round)
    {
        Initiator = initiator;
        Target = target;
        Function = function;
        _round = round;
        UnlockedAtPs = -1;
        WakePs = 0;
        IrqsOffPs = 0;
    }

    /// <summary>The target unlocks the csd as it takes the request, before the function (<see cref="CallRound.AcknowledgeOnEntry"/>).</summary>
    public bool AcknowledgeOnEntry => _round?.AcknowledgeOnEntry == true;

    /// <summary>csd_unlock at <paramref name="atPs"/> (now, or later when the target takes the request at once).</summary>
    internal void Unlock(long atPs, long nowPs)
    {
        UnlockedAtPs = atPs;
        _round?.Unlocked(atPs, nowPs);
    }
}
