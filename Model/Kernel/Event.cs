using TlbSim.Model.Units;

namespace TlbSim.Model.Kernel;

/// <summary>Something that reacts when an event is processed: a waiting process, a condition, a callback.</summary>
internal interface IEventListener
{
    void Notify(Event e);
}

/// <summary>
/// Something that happens at one instant. An event is pending until it is triggered (it succeeds or fails,
/// which schedules it), then processed: its listeners run in the order they were added.
/// </summary>
/// <remarks>
/// A failed event must be handled: by a process that waited on it (and takes the failure with
/// <see cref="Process.TryTakeFailure"/>), by a condition containing it, or by <see cref="Defuse"/>.
/// An unhandled failure stops the run with a <see cref="SimulationException"/>.
/// </remarks>
public class Event
{
    private enum State : byte { Pending, Scheduled, Processed }

    private State _state;
    private bool _ok = true;
    private object? _value;
    private Exception? _error;
    private protected IEventListener? _first;
    private protected List<IEventListener>? _more;

    /// <summary>Creates a pending event; trigger it with <see cref="Succeed"/> or <see cref="Fail"/>.</summary>
    public Event(Simulation simulation)
    {
        ArgumentNullException.ThrowIfNull(simulation);
        Simulation = simulation;
    }

    /// <summary>The simulation this event belongs to.</summary>
    public Simulation Simulation { get; }

    /// <summary>True once the event has succeeded or failed (it is scheduled or processed).</summary>
    public bool IsTriggered => _state != State.Pending;

    /// <summary>True once the event's listeners have run.</summary>
    public bool IsProcessed => _state == State.Processed;

    /// <summary>True unless the event failed.</summary>
    public bool IsOk => _ok;

    /// <summary>The failure, when the event failed.</summary>
    public Exception? Error => _error;

    /// <summary>True when a failure of this event counts as handled.</summary>
    public bool IsDefused { get; private set; }

    /// <summary>The instant this event was last scheduled for (valid once triggered).</summary>
    public Duration Time => new(ScheduledTime);

    /// <summary>The order among same-time events it was scheduled with.</summary>
    public EventPriority Priority => ScheduledPriority;

    /// <summary>Scheduling order: assigned once when the event is scheduled and kept for its whole life.</summary>
    public long Sequence { get; internal set; }

    internal long ScheduledTime;
    internal EventPriority ScheduledPriority;

    /// <summary>The value the event succeeded with.</summary>
    /// <exception cref="InvalidOperationException">The event has not been triggered, or it failed.</exception>
    public object? Value
    {
        get
        {
            if (_state == State.Pending)
                throw new InvalidOperationException($"{this} has no value yet: it has not been triggered");
            if (!_ok)
                throw new InvalidOperationException($"{this} failed: {_error!.Message}", _error);
            return _value;
        }
    }

    /// <summary>Triggers the event as a success, to be processed at the current instant.</summary>
    public Event Succeed(object? value = null)
    {
        ThrowIfTriggered();
        _ok = true;
        _value = value;
        Simulation.Schedule(this, 0, EventPriority.Urgent);
        _state = State.Scheduled;
        return this;
    }

    /// <summary>Triggers the event as a failure, to be processed at the current instant.</summary>
    public Event Fail(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        ThrowIfTriggered();
        _ok = false;
        _error = error;
        Simulation.Schedule(this, 0, EventPriority.Urgent);
        _state = State.Scheduled;
        return this;
    }

    /// <summary>Marks a failure of this event as handled, so it does not stop the run.</summary>
    public void Defuse() => IsDefused = true;

    /// <summary>Runs <paramref name="callback"/> when the event is processed.</summary>
    /// <exception cref="InvalidOperationException">The event was already processed.</exception>
    public void AddCallback(Action<Event> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        AddListener(new CallbackListener(callback));
    }

    /// <inheritdoc />
    public override string ToString() => $"{GetType().Name}#{Sequence}";

    /// <summary>Schedules an event that succeeds after <paramref name="delay"/> (used by timeouts).</summary>
    internal void ScheduleSuccess(long delay, EventPriority priority, object? value)
    {
        _ok = true;
        _value = value;
        _error = null;
        Simulation.Schedule(this, delay, priority);
        _state = State.Scheduled;
    }

    /// <summary>Returns a processed pooled event to its pending state for reuse.</summary>
    internal void ResetForReuse()
    {
        _state = State.Pending;
        _value = null;
        _error = null;
        _ok = true;
        IsDefused = false;
        Pinned = false;
    }

    /// <summary>True when something other than a waiting process holds this event (a condition, a callback), so a pool must not reuse it.</summary>
    internal bool Pinned;

    internal void AddListener(IEventListener listener)
    {
        if (_state == State.Processed)
            throw new InvalidOperationException($"{this} was already processed at {Time}");
        Pinned = true;
        Append(listener);
    }

    /// <summary>Adds a process waiting on this event; unlike other listeners it does not pin a pooled timeout, because a process forgets its target once resumed.</summary>
    internal void AddWaiter(Process process) => Append(process);

    private void Append(IEventListener listener)
    {
        if (_first is null && _more is null)
            _first = listener;
        else
            (_more ??= []).Add(listener);
    }

    internal void RemoveListener(IEventListener listener)
    {
        if (ReferenceEquals(_first, listener))
            _first = null;
        else
            _more?.Remove(listener);
    }

    /// <summary>Processes the event: runs its listeners, then checks that a failure was handled.</summary>
    internal virtual void Fire()
    {
        _state = State.Processed;
        var first = _first;
        if (first is not null)
        {
            _first = null;
            first.Notify(this);
        }
        var more = _more;
        if (more is not null)
        {
            _more = null;
            foreach (var listener in more)
                listener.Notify(this);
        }
        if (!_ok && !IsDefused)
            Simulation.Crash(new SimulationException(
                $"{this} failed at {Time} and nothing handled it: {_error!.Message}", _error));
    }

    /// <summary>Marks a failure as delivered to a handler that must deal with it (a process, a condition).</summary>
    internal void MarkDelivered() => IsDefused = true;

    internal bool OkInternal => _ok;

    internal Exception? ErrorInternal => _error;

    private void ThrowIfTriggered()
    {
        if (_state != State.Pending)
            throw new InvalidOperationException($"{this} has already been triggered");
    }

    private sealed class CallbackListener(Action<Event> callback) : IEventListener
    {
        public void Notify(Event e) => callback(e);
    }
}

/// <summary>
/// An event that succeeds after a delay. Timeouts from <see cref="Simulation.Timeout"/> are pooled:
/// once processed, a timeout that only processes waited on is reused, so a process that loops on
/// timeouts allocates nothing. Do not keep a reference to a timeout after it has been processed.
/// </summary>
public sealed class Timeout : Event
{
    internal Timeout(Simulation simulation) : base(simulation) { }

    /// <summary>
    /// Time added to a scheduled timeout after it was scheduled (<see cref="Extend"/>): when the queue reaches
    /// it, it is put back that much later instead of firing.
    /// </summary>
    internal long Extension;

    /// <summary>
    /// Postpones this scheduled timeout by <paramref name="picoseconds"/> without touching the queue: the
    /// queue reaches it at its old time and puts it back once (a work slice that an interrupt handler
    /// stole time from ends that much later).
    /// </summary>
    internal void Extend(long picoseconds)
    {
        if (!IsTriggered || IsProcessed)
            throw new InvalidOperationException($"{this} is not scheduled: only a pending timeout can be extended");
        Extension += picoseconds;
    }

    internal override void Fire()
    {
        if (Extension > 0)
        {
            long extension = Extension;
            Extension = 0;
            Simulation.Schedule(this, extension, ScheduledPriority);
            return;
        }
        // Fast path: a lone waiting process gets this timeout back as its spare before it resumes, so the
        // process's next timeout is this same, cache-hot object and no pool is touched.
        if (!Pinned && _more is null && _first is Process waiter && waiter.SpareTimeout is null)
        {
            _first = null;
            ResetForReuse();
            waiter.SpareTimeout = this;
            waiter.ResumeAfterTimeout(this);
            return;
        }
        base.Fire();
        if (!Pinned)
            Simulation.Recycle(this);
    }
}
