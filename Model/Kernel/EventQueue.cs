using System.Numerics;
using System.Runtime.CompilerServices;

namespace TlbSim.Model.Kernel;

/// <summary>
/// The pending events, ordered by (time, priority, sequence).
/// </summary>
/// <remarks>
/// Two structures, one order:
/// <list type="bullet">
/// <item>events for a later instant sit in a 4-ary min-heap of structs keyed by (time, priority &lt;&lt; 56 | sequence);</item>
/// <item>events for the current instant (triggers, zero delays, interrupts) skip the heap and go to one FIFO per priority.
/// Every heap event due now was scheduled at an earlier instant, so it carries a smaller sequence than any FIFO
/// event: at equal priority the heap goes first, and the merge below keeps the global order exact.</item>
/// </list>
/// Why: most events in a process simulation are either "now" (cheap FIFO, no heap traffic) or a timeout
/// that replaces the one just popped. <see cref="Pop"/> leaves the heap root vacant instead of sifting a
/// leaf up into it; the next <see cref="Push"/> drops its entry into the vacant root and sifts it down once,
/// which halves the heap work of the common pop-then-push step.
/// The sequence number is assigned once, when an event is scheduled, and never renumbered: FIFO order
/// among ties survives any growth of the arrays.
/// </remarks>
internal sealed class EventQueue
{
    private const int Priorities = 5;
    private const int OrderShift = 56;

    private struct Entry
    {
        public long Time;
        public long Order;
        public Event Event;
    }

    private Entry[] _heap = new Entry[64];
    private int _heapCount; // includes a vacant root
    private bool _rootVacant;
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
    public int Count => _heapCount - (_rootVacant ? 1 : 0) + _nowCount;

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
        var entry = new Entry { Time = time, Order = ((long)priority << OrderShift) | sequence, Event = e };
        if (_rootVacant)
        {
            _rootVacant = false;
            SiftDown(0, entry);
        }
        else
        {
            if (_heapCount == _heap.Length)
                Array.Resize(ref _heap, _heap.Length * 2);
            SiftUp(_heapCount++, entry);
        }
    }

    /// <summary>The time of the next event, or <see cref="long.MaxValue"/> when none is pending.</summary>
    public long PeekTime(long now)
    {
        if (_nowCount > 0)
            return now;
        Settle();
        return _heapCount > 0 ? _heap[0].Time : long.MaxValue;
    }

    /// <summary>Removes and returns the next event; the queue must not be empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Event Pop(long now, out long time)
    {
        Settle();
        if (_nowMask != 0)
        {
            int p = BitOperations.TrailingZeroCount(_nowMask);
            if (_heapCount == 0 || _heap[0].Time != now || (_heap[0].Order >> OrderShift) > p)
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
        ref var top = ref _heap[0];
        time = top.Time;
        var ev = top.Event;
        top.Event = null!;
        _rootVacant = true;
        return ev;
    }

    /// <summary>Fills a vacant root with the last leaf, restoring a plain heap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Settle()
    {
        if (!_rootVacant)
            return;
        _rootVacant = false;
        int last = --_heapCount;
        if (last > 0)
        {
            var entry = _heap[last];
            _heap[last] = default;
            SiftDown(0, entry);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Less(in Entry a, in Entry b) => a.Time < b.Time || (a.Time == b.Time && a.Order < b.Order);

    private void SiftUp(int i, Entry entry)
    {
        var heap = _heap;
        while (i > 0)
        {
            int parent = (i - 1) >> 2;
            if (!Less(entry, heap[parent]))
                break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = entry;
    }

    private void SiftDown(int i, Entry entry)
    {
        var heap = _heap;
        int n = _heapCount;
        while (true)
        {
            int first = (i << 2) + 1;
            if (first >= n)
                break;
            int best = first;
            int end = Math.Min(first + 4, n);
            for (int c = first + 1; c < end; c++)
            {
                if (Less(heap[c], heap[best]))
                    best = c;
            }
            if (!Less(heap[best], entry))
                break;
            heap[i] = heap[best];
            i = best;
        }
        heap[i] = entry;
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
