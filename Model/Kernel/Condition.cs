namespace TlbSim.Model.Kernel;

/// <summary>
/// An event over other events: <see cref="Simulation.AllOf"/> succeeds when all have succeeded,
/// <see cref="Simulation.AnyOf"/> when one has. The first failure among them fails the condition and
/// counts as handled by it. Its value is the list of events that had succeeded, in the order given.
/// </summary>
public sealed class Condition : Event, IEventListener
{
    private readonly Event[] _events;
    private readonly int _needed;
    private int _count;

    internal Condition(Simulation simulation, Event[] events, bool all) : base(simulation)
    {
        ArgumentNullException.ThrowIfNull(events);
        _events = (Event[])events.Clone();
        _needed = all ? _events.Length : Math.Min(1, _events.Length);
        foreach (var e in _events)
        {
            if (!ReferenceEquals(e.Simulation, simulation))
                throw new ArgumentException($"{e} belongs to another simulation", nameof(events));
        }
        if (_needed == 0)
        {
            Succeed(Array.Empty<Event>());
            return;
        }
        foreach (var e in _events)
        {
            if (e.IsProcessed)
                Check(e);
            else
                e.AddListener(this);
        }
    }

    /// <summary>The events this condition is over.</summary>
    public IReadOnlyList<Event> Events => _events;

    void IEventListener.Notify(Event e) => Check(e);

    private void Check(Event e)
    {
        if (IsTriggered)
            return;
        _count++;
        if (!e.OkInternal)
        {
            e.MarkDelivered();
            Fail(e.ErrorInternal!);
        }
        else if (_count >= _needed)
        {
            Succeed(_events.Where(x => x.IsProcessed && x.OkInternal).ToArray());
        }
    }
}
