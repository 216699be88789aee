namespace TlbSim.Model.Kernel;

/// <summary>
/// A resource with <see cref="Capacity"/> identical slots (a mutex when 1, a semaphore otherwise).
/// Requests are granted in priority order (lower first), FIFO within a priority. A request is
/// released by disposing it; disposing a request that is still queued cancels it.
/// </summary>
public sealed class Resource
{
    private readonly List<Request> _queue = [];
    private long _nextSequence;

    /// <summary>Creates a resource with <paramref name="capacity"/> slots.</summary>
    public Resource(Simulation simulation, int capacity = 1)
    {
        ArgumentNullException.ThrowIfNull(simulation);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Simulation = simulation;
        Capacity = capacity;
        Utilisation = new TimeWeightedMonitor(simulation);
        QueueLength = new TimeWeightedMonitor(simulation);
    }

    /// <summary>The simulation this resource belongs to.</summary>
    public Simulation Simulation { get; }

    /// <summary>Slots.</summary>
    public int Capacity { get; }

    /// <summary>Slots in use.</summary>
    public int InUse { get; private set; }

    /// <summary>Requests waiting for a slot.</summary>
    public int Queued => _queue.Count;

    /// <summary>Slots in use over time, divided by capacity (0..1).</summary>
    public TimeWeightedMonitor Utilisation { get; }

    /// <summary>Requests waiting over time.</summary>
    public TimeWeightedMonitor QueueLength { get; }

    /// <summary>Asks for a slot; the returned event succeeds when the slot is granted.</summary>
    public Request Request(int priority = 0)
    {
        var r = new Request(this, priority, _nextSequence++);
        if (InUse < Capacity && _queue.Count == 0)
        {
            Grant(r);
            return r;
        }
        int at = _queue.Count;
        while (at > 0 && _queue[at - 1].RequestPriority > priority)
            at--;
        _queue.Insert(at, r);
        QueueLength.Set(_queue.Count);
        return r;
    }

    internal void Release(Request r)
    {
        if (r.Granted)
        {
            r.Granted = false;
            InUse--;
            Utilisation.Set((double)InUse / Capacity);
            while (InUse < Capacity && _queue.Count > 0)
            {
                var next = _queue[0];
                _queue.RemoveAt(0);
                QueueLength.Set(_queue.Count);
                Grant(next);
            }
        }
        else if (_queue.Remove(r))
        {
            QueueLength.Set(_queue.Count);
        }
    }

    private void Grant(Request r)
    {
        InUse++;
        r.Granted = true;
        Utilisation.Set((double)InUse / Capacity);
        r.Succeed(r);
    }
}

/// <summary>A request for a slot of a <see cref="Resource"/>; dispose it to release the slot or cancel the request.</summary>
public sealed class Request : Event, IDisposable
{
    private readonly Resource _resource;
    private bool _disposed;

    internal Request(Resource resource, int priority, long sequence) : base(resource.Simulation)
    {
        _resource = resource;
        RequestPriority = priority;
        RequestSequence = sequence;
    }

    /// <summary>Lower is served first.</summary>
    public int RequestPriority { get; }

    internal long RequestSequence { get; }

    internal bool Granted;

    /// <summary>Releases the slot if granted, or leaves the queue if still waiting.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _resource.Release(this);
    }
}
