using TlbSim.Model.Units;

namespace TlbSim.Model.Kernel;

/// <summary>
/// The discrete-event engine: a clock in integer picoseconds and the queue of pending events,
/// processed in (time, priority, sequence) order. Processes, conditions, resources and stores are built
/// on <see cref="Event"/>; this class only schedules, steps and runs.
/// </summary>
public sealed class Simulation
{
    private readonly EventQueue _queue = new();
    private readonly Stack<Timeout> _timeoutPool = new();
    private long _now;
    private bool _stopRequested;
    private Exception? _crash;

    /// <summary>Creates a simulation at time zero whose random streams derive from <paramref name="seed"/>.</summary>
    public Simulation(long seed = 0) => Random = new RandomStreams(seed);

    /// <summary>The current simulated time.</summary>
    public Duration Now => new(_now);

    /// <summary>The current simulated time in picoseconds.</summary>
    public long NowPicoseconds => _now;

    /// <summary>The named random streams of this run.</summary>
    public RandomStreams Random { get; }

    /// <summary>Events processed so far.</summary>
    public long EventsProcessed { get; private set; }

    /// <summary>Events waiting to be processed.</summary>
    public int PendingEvents => _queue.Count;

    /// <summary>The process whose iterator is running, if any.</summary>
    public Process? ActiveProcess { get; internal set; }

    /// <summary>
    /// Stops a run promptly when cancelled: the run loops check it every 4,096 events (a few milliseconds of wall
    /// time at most) and throw <see cref="OperationCanceledException"/>.
    /// </summary>
    public CancellationToken Cancellation { get; set; }

    /// <summary>Called with every event just before it is processed (for traces and invariant checks).</summary>
    public Action<Event>? BeforeFire { get; set; }

    /// <summary>A new pending event, to be triggered by <see cref="Event.Succeed"/> or <see cref="Event.Fail"/>.</summary>
    public Event Event() => new(this);

    /// <summary>An event that succeeds after <paramref name="delay"/>, with an optional value. Pooled: see <see cref="Kernel.Timeout"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The delay is negative.</exception>
    public Timeout Timeout(Duration delay, object? value = null)
    {
        if (delay.Picoseconds < 0)
            throw new ArgumentOutOfRangeException(nameof(delay), $"a timeout cannot be negative (was {delay})");
        Timeout t;
        if (ActiveProcess is { SpareTimeout: { } spare } active)
        {
            active.SpareTimeout = null;
            t = spare;
        }
        else if (!_timeoutPool.TryPop(out t!))
        {
            t = new Timeout(this);
        }
        t.ScheduleSuccess(delay.Picoseconds, EventPriority.Normal, value);
        return t;
    }

    /// <summary>Starts a process at the current instant.</summary>
    public Process Process(IEnumerable<Event> body, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        return new Process(this, body, name ?? "process");
    }

    /// <summary>An event that succeeds when every one of <paramref name="events"/> has succeeded, or fails with the first failure.</summary>
    public Condition AllOf(params Event[] events) => new(this, events, all: true);

    /// <summary>An event that succeeds when any one of <paramref name="events"/> has succeeded, or fails with the first failure.</summary>
    public Condition AnyOf(params Event[] events) => new(this, events, all: false);

    /// <summary>The time of the next event, or <see cref="Duration.MaxValue"/> when none is pending.</summary>
    public Duration Peek() => new(_queue.PeekTime(_now));

    /// <summary>Processes the next event. Returns false when no event is pending.</summary>
    /// <exception cref="SimulationException">The event's processing left a failure unhandled.</exception>
    public bool Step()
    {
        if (_queue.Count == 0)
            return false;
        var e = _queue.Pop(_now, out long time);
        _now = time;
        EventsProcessed++;
        BeforeFire?.Invoke(e);
        e.Fire();
        if (_crash is not null)
        {
            var crash = _crash;
            _crash = null;
            throw crash;
        }
        return true;
    }

    /// <summary>Runs until no event is pending.</summary>
    public void Run()
    {
        while (Step())
        {
        }
    }

    /// <summary>
    /// Runs until simulated time <paramref name="until"/>: every event before it is processed, none at it
    /// (the stop has the highest same-time priority), and the clock then reads <paramref name="until"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="until"/> is in the past.</exception>
    public void Run(Duration until)
    {
        if (until.Picoseconds < _now)
            throw new ArgumentOutOfRangeException(nameof(until), $"cannot run until {until}: the clock already reads {Now}");
        Schedule(new StopEvent(this), until.Picoseconds - _now, EventPriority.Stop);
        RunUntilStopped();
    }

    /// <summary>Runs until <paramref name="until"/> has been processed and returns its value.</summary>
    /// <exception cref="SimulationException">No event is left before it happens, or it failed.</exception>
    public object? Run(Event until)
    {
        ArgumentNullException.ThrowIfNull(until);
        if (!until.IsProcessed)
        {
            until.AddListener(new StopListener(this));
            while (!_stopRequested)
            {
                if (!Step())
                    throw new SimulationException($"the run ended at {Now} with no events left before {until} happened");
            }
            _stopRequested = false;
        }
        if (!until.IsOk)
        {
            until.Defuse();
            throw new SimulationException($"{until} failed: {until.Error!.Message}", until.Error);
        }
        return until.Value;
    }

    internal void Schedule(Event e, long delay, EventPriority priority) => _queue.Push(e, _now + delay, priority, _now);

    internal void Recycle(Timeout t)
    {
        t.ResetForReuse();
        _timeoutPool.Push(t);
    }

    /// <summary>Records an error that stops the run once the current event is processed; the first one wins.</summary>
    internal void Crash(Exception error) => _crash ??= error;

    private void RunUntilStopped()
    {
        while (!_stopRequested && Step())
        {
            if ((EventsProcessed & 4095) == 0)
                Cancellation.ThrowIfCancellationRequested();
        }
        _stopRequested = false;
    }

    private sealed class StopEvent(Simulation simulation) : Event(simulation)
    {
        internal override void Fire()
        {
            base.Fire();
            Simulation._stopRequested = true;
        }
    }

    private sealed class StopListener(Simulation simulation) : IEventListener
    {
        public void Notify(Event e) => simulation._stopRequested = true;
    }
}
