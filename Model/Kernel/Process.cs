using TlbSim.Model.Units;

namespace TlbSim.Model.Kernel;

/// <summary>What a process learns when it is interrupted.</summary>
/// <param name="Cause">What the interrupter passed (an IPI, a reason string...).</param>
/// <param name="Remaining">How much of the interrupted timeout was left, or null when the process was not waiting on a timeout.</param>
public readonly record struct Interrupt(object? Cause, Duration? Remaining);

/// <summary>
/// A simulated activity written as a C# iterator: each <c>yield return</c> hands the engine an event
/// to wait for, and the iterator resumes when that event is processed. The process is itself an event,
/// which succeeds when the iterator ends and fails when it throws.
/// </summary>
/// <remarks>
/// When a process is resumed by a failed event or by an interrupt, it must take the fault
/// (<see cref="TryTakeFailure"/>, <see cref="TryTakeInterrupt"/>) before it yields again or ends;
/// otherwise the process fails with a message naming the fault, and if nothing waits on the process,
/// the run stops.
/// </remarks>
public sealed class Process : Event, IEventListener
{
    private readonly IEnumerator<Event> _body;
    private Event? _target;
    private Exception? _pendingFailure;
    private Interrupt? _pendingInterrupt;

    internal Process(Simulation simulation, IEnumerable<Event> body, string name) : base(simulation)
    {
        _body = body.GetEnumerator();
        Name = name;
        // The process's own timeout, allocated next to it, first serves as its start event (urgent, now)
        // and afterwards as its reusable timeout.
        var start = new Timeout(simulation);
        _target = start;
        start.AddWaiter(this);
        start.ScheduleSuccess(0, EventPriority.Urgent, null);
    }

    /// <summary>The name used in error messages and traces.</summary>
    public string Name { get; }

    /// <summary>True while the iterator has not ended.</summary>
    public bool IsAlive => !IsTriggered;

    /// <summary>The event the process waits for, if any.</summary>
    public Event? Target => _target;

    /// <summary>Takes the interrupt that resumed the process, if it was one; taking it handles it.</summary>
    public bool TryTakeInterrupt(out Interrupt interrupt)
    {
        if (_pendingInterrupt is { } i)
        {
            interrupt = i;
            _pendingInterrupt = null;
            return true;
        }
        interrupt = default;
        return false;
    }

    /// <summary>Takes the failure of the event that resumed the process, if it failed; taking it handles it.</summary>
    public bool TryTakeFailure(out Exception error)
    {
        if (_pendingFailure is { } e)
        {
            error = e;
            _pendingFailure = null;
            return true;
        }
        error = null!;
        return false;
    }

    /// <summary>
    /// Interrupts the process at the current instant (before other events of this instant): it stops
    /// waiting for its target and resumes with an <see cref="Interrupt"/> to take.
    /// </summary>
    /// <exception cref="InvalidOperationException">The process has ended, or interrupts itself.</exception>
    public void Interrupt(object? cause = null)
    {
        if (!IsAlive)
            throw new InvalidOperationException($"process '{Name}' has ended and cannot be interrupted");
        if (ReferenceEquals(Simulation.ActiveProcess, this))
            throw new InvalidOperationException($"process '{Name}' cannot interrupt itself");
        Simulation.Schedule(new InterruptEvent(this, cause), 0, EventPriority.Interrupt);
    }

    /// <inheritdoc />
    public override string ToString() => $"process '{Name}'";

    /// <summary>This process's own reusable timeout (see <see cref="Timeout"/>): keeps a looping process's timeouts next to it in memory.</summary>
    internal Timeout? SpareTimeout;

    internal void ResumeAfterTimeout(Timeout t)
    {
        _target = null;
        Resume(t);
    }

    void IEventListener.Notify(Event e)
    {
        if (!ReferenceEquals(e, _target))
            return;
        _target = null;
        Resume(e);
    }

    private void DeliverInterrupt(object? cause)
    {
        if (!IsAlive)
            return; // ended between the interrupt call and its delivery
        Duration? remaining = null;
        if (_target is { } target)
        {
            target.RemoveListener(this);
            if (target is Timeout timeout && target.IsTriggered)
            {
                remaining = new Duration(timeout.ScheduledTime + timeout.Extension - Simulation.NowPicoseconds);
                timeout.Extension = 0;
            }
            _target = null;
        }
        _pendingInterrupt = new Interrupt(cause, remaining);
        Resume(null);
    }

    private void Resume(Event? trigger)
    {
        var sim = Simulation;
        var previous = sim.ActiveProcess;
        sim.ActiveProcess = this;
        try
        {
            var current = trigger;
            while (true)
            {
                if (current is not null && !current.OkInternal)
                {
                    current.MarkDelivered();
                    _pendingFailure = current.ErrorInternal;
                }
                bool more;
                try
                {
                    more = _body.MoveNext();
                }
#pragma warning disable CA1031 // a process's own exception becomes the failure of the process event
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    End(ex);
                    return;
                }
                if (_pendingFailure is not null || _pendingInterrupt is not null)
                {
                    string what = _pendingFailure is not null
                        ? $"a failure ({_pendingFailure.Message})"
                        : $"an interrupt (cause: {_pendingInterrupt!.Value.Cause ?? "none"})";
                    End(new SimulationException(
                        $"{this} was resumed at {sim.Now} by {what} and did not take it before yielding again; call TryTakeFailure/TryTakeInterrupt",
                        _pendingFailure));
                    return;
                }
                if (!more)
                {
                    End(null);
                    return;
                }
                var next = _body.Current;
                if (next is null)
                {
                    End(new SimulationException($"{this} yielded null at {sim.Now}"));
                    return;
                }
                if (!ReferenceEquals(next.Simulation, sim))
                {
                    End(new SimulationException($"{this} yielded {next}, which belongs to another simulation"));
                    return;
                }
                if (next.IsProcessed)
                {
                    current = next; // already happened: continue at once with its outcome
                    continue;
                }
                _target = next;
                next.AddWaiter(this);
                return;
            }
        }
        finally
        {
            sim.ActiveProcess = previous;
        }
    }

    private void End(Exception? error)
    {
        _body.Dispose();
        if (error is null)
            Succeed();
        else
            Fail(error);
    }

    private sealed class InterruptEvent(Process process, object? cause) : Event(process.Simulation)
    {
        internal override void Fire()
        {
            base.Fire();
            process.DeliverInterrupt(cause);
        }
    }
}
