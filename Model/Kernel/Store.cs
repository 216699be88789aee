namespace TlbSim.Model.Kernel;

/// <summary>
/// A FIFO buffer of items with a capacity. <see cref="Put"/> succeeds when the item is in the store
/// (at once while there is room); <see cref="Get"/> succeeds with the oldest item (at once while there is one).
/// Waiting putters and getters are served in the order they asked.
/// </summary>
public sealed class Store<T>
{
    private readonly Queue<T> _items = new();
    private readonly Queue<(Event Event, T Item)> _putters = new();
    private readonly Queue<Event> _getters = new();

    /// <summary>Creates a store holding at most <paramref name="capacity"/> items.</summary>
    public Store(Simulation simulation, int capacity = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(simulation);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Simulation = simulation;
        Capacity = capacity;
    }

    /// <summary>The simulation this store belongs to.</summary>
    public Simulation Simulation { get; }

    /// <summary>Most items held at once.</summary>
    public int Capacity { get; }

    /// <summary>Items held now.</summary>
    public int Count => _items.Count;

    /// <summary>Adds <paramref name="item"/>; the event succeeds once it is stored.</summary>
    public Event Put(T item)
    {
        var e = new Event(Simulation);
        _putters.Enqueue((e, item));
        Balance();
        return e;
    }

    /// <summary>Takes the oldest item; the event succeeds with it as value.</summary>
    public Event Get()
    {
        var e = new Event(Simulation);
        _getters.Enqueue(e);
        Balance();
        return e;
    }

    private void Balance()
    {
        bool moved = true;
        while (moved)
        {
            moved = false;
            if (_putters.Count > 0 && _items.Count < Capacity)
            {
                var (e, item) = _putters.Dequeue();
                _items.Enqueue(item);
                e.Succeed();
                moved = true;
            }
            if (_getters.Count > 0 && _items.Count > 0)
            {
                _getters.Dequeue().Succeed(_items.Dequeue());
                moved = true;
            }
        }
    }
}
