using System.Numerics;
using System.Runtime.CompilerServices;

namespace TlbSim.Model.Kernel;

/// <summary>
/// The pending events, ordered by (time, priority, sequence).
/// </summary>
/// <remarks>
/// Three structures, one order:
/// <list type="bullet">
/// <item>events for the current instant (triggers, zero delays, interrupts) go to one FIFO per priority, with
/// no sorting at all. Every later-structure event due now was scheduled at an earlier instant, so it carries a
/// smaller sequence than any FIFO event: at equal priority it goes first, and the merge in <see cref="Pop"/>
/// keeps the global order exact;</item>
/// <item>later events sit in a 4-ary heap (<see cref="EventHeap"/>) while at most a few hundred are pending,
/// and in a calendar queue (<see cref="EventCalendar"/>) beyond: the queue moves to the calendar when more than
/// 512 are pending and back to the heap below 128. Measured on the product's mix of delays
/// (<c>bench/QueueBenchmark.cs</c>), the heap is faster below about 400 pending (35 against 66 ns at 10) and
/// the calendar above it (82 against 107 ns at 1,000, 112 against 204 at 100,000); the gap between the two
/// thresholds keeps a queue hovering near one of them from moving back and forth.</item>
/// </list>
/// The sequence number is assigned once, when an event is scheduled, and never renumbered: FIFO order among
/// ties survives any growth or move.
/// </remarks>
internal sealed class EventQueue
{
    private const int Priorities = 5;
    private const int OrderShift = 56;
    private const int ToCalendarAbove = 512;
    private const int ToHeapBelow = 128;

    private readonly EventHeap _heap = new();
    private readonly EventCalendar _calendar = new();
    private bool _onCalendar;
    private readonly Ring[] _now = new Ring[Priorities];
    private int _nowMask; // bit p set when FIFO p is not empty
    private int _nowCount;
    private long _nextSequence;

    public EventQueue()
    {
        for (int p = 0; p < Priorities; p++)
            _now[p] = new Ring();
    }

    /// <summary>Pending events.</summary>
    public int Count => LaterCount + _nowCount;

    private int LaterCount => _onCalendar ? _calendar.Count : _heap.Count;

    /// <summary>Schedules <paramref name="e"/> at <paramref name="time"/>, which is not before <paramref name="now"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Push(Event e, long time, EventPriority priority, long now)
    {
        long sequence = _nextSequence++;
        e.ScheduledTime = time;
        e.ScheduledPriority = priority;
        e.Sequence = sequence;
        if (time == now)
        {
            _now[(int)priority].Enqueue(e);
            _nowMask |= 1 << (int)priority;
            _nowCount++;
            return;
        }
        long order = ((long)priority << OrderShift) | sequence;
        if (_onCalendar)
        {
            _calendar.Push(time, order, e);
            return;
        }
        _heap.Push(time, order, e);
        if (_heap.Count > ToCalendarAbove)
        {
            while (_heap.Count > 0)
            {
                var moved = _heap.Pop(out long t, out long o);
                _calendar.Push(t, o, moved);
            }
            _onCalendar = true;
        }
    }

    /// <summary>The time of the next event, or <see cref="long.MaxValue"/> when none is pending.</summary>
    public long PeekTime(long now)
    {
        if (_nowCount > 0)
            return now;
        if (LaterCount == 0)
            return long.MaxValue;
        return _onCalendar ? _calendar.Earliest(out _) : _heap.Earliest(out _);
    }

    /// <summary>Removes and returns the next event; the queue must not be empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Event Pop(long now, out long time)
    {
        if (_nowMask != 0)
        {
            int p = BitOperations.TrailingZeroCount(_nowMask);
            long order = 0;
            long first = LaterCount == 0 ? long.MaxValue : _onCalendar ? _calendar.Earliest(out order) : _heap.Earliest(out order);
            if (first != now || (order >> OrderShift) > p)
            {
                time = now;
                _nowCount--;
                var ring = _now[p];
                var e = ring.Dequeue();
                if (ring.Count == 0)
                    _nowMask &= ~(1 << p);
                return e;
            }
        }
        if (!_onCalendar)
            return _heap.Pop(out time, out _);
        var ev = _calendar.Pop(out time, out _);
        if (_calendar.Count < ToHeapBelow)
        {
            while (_calendar.Count > 0)
            {
                var moved = _calendar.Pop(out long t, out long o);
                _heap.Push(t, o, moved);
            }
            _onCalendar = false;
        }
        return ev;
    }

    /// <summary>A growable FIFO ring of events; growth copies in order.</summary>
    private sealed class Ring
    {
        private Event[] _items = new Event[16];
        private int _head;
        public int Count;

        public void Enqueue(Event e)
        {
            if (Count == _items.Length)
            {
                var bigger = new Event[_items.Length * 2];
                for (int k = 0; k < Count; k++)
                    bigger[k] = _items[(_head + k) & (_items.Length - 1)];
                _items = bigger;
                _head = 0;
            }
            _items[(_head + Count) & (_items.Length - 1)] = e;
            Count++;
        }

        public Event Dequeue()
        {
            var e = _items[_head];
            _items[_head] = null!;
            _head = (_head + 1) & (_items.Length - 1);
            Count--;
            return e;
        }
    }
}
