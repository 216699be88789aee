using System.Runtime.CompilerServices;

namespace TlbSim.Model.Kernel;

/// <summary>
/// Later events while few are pending: a 4-ary min-heap of structs keyed by (time, order), where order is
/// priority &lt;&lt; 56 | sequence. A pop leaves the root vacant; the next push drops its entry there and sifts
/// it down once, which halves the heap work of the pop-then-push step of every timeout loop.
/// </summary>
internal sealed class EventHeap
{
    private struct Entry
    {
        public long Time;
        public long Order;
        public Event Event;
    }

    private Entry[] _heap = new Entry[64];
    private int _count; // includes a vacant root
    private bool _rootVacant;

    public int Count => _count - (_rootVacant ? 1 : 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Push(long time, long order, Event e)
    {
        var entry = new Entry { Time = time, Order = order, Event = e };
        if (_rootVacant)
        {
            _rootVacant = false;
            SiftDown(0, entry);
        }
        else
        {
            if (_count == _heap.Length)
                Array.Resize(ref _heap, _heap.Length * 2);
            SiftUp(_count++, entry);
        }
    }

    /// <summary>The earliest entry's time and order; the heap must not be empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Earliest(out long order)
    {
        Settle();
        order = _heap[0].Order;
        return _heap[0].Time;
    }

    /// <summary>Removes the earliest entry; the heap must not be empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Event Pop(out long time, out long order)
    {
        Settle();
        ref var top = ref _heap[0];
        time = top.Time;
        order = top.Order;
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
        int last = --_count;
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
        int n = _count;
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
}
