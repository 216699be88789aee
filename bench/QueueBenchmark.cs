using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using TlbSim.Model.Kernel;

namespace TlbSim.Bench;

/// <summary>
/// The engine's queue (a calendar queue, with a FIFO per priority for the current instant) against the 4-ary heap
/// it replaced (kept below, as it was, for this comparison), on a hold model whose delays mimic the product: most
/// events a few hundred nanoseconds to tens of microseconds ahead (IPI deliveries, handler windows, workload
/// slices) and a tail of idle periods. Run with <c>dotnet run -c Release --project bench -- queue</c>.
/// </summary>
public static class QueueBenchmark
{
    private const int Events = 4_000_000;

    /// <summary>A delay of the product's mix (an assumption): 50% 50 ns-1 us, 40% 1-20 us, 10% exponential with mean 200 us (picoseconds).</summary>
    private static long Delay(System.Random rng)
    {
        double u = rng.NextDouble();
        if (u < 0.5)
            return 50_000 + (long)(rng.NextDouble() * 950_000);
        if (u < 0.9)
            return 1_000_000 + (long)(rng.NextDouble() * 19_000_000);
        return 1 + (long)(-Math.Log(1 - rng.NextDouble()) * 200_000_000);
    }

    public static void Run()
    {
        for (int round = 0; round < 3; round++)
        {
            Console.WriteLine(round == 0 ? "warm-up" : $"round {round}");
            foreach (int n in new[] { 10, 30, 100, 300, 1000, 4000, 100_000 })
            {
                double heap = Heap(n), calendar = Calendar(n);
                Console.WriteLine($"  N={n,6}: 4-ary heap {heap:F1} ns/event, engine's calendar {calendar:F1} ns/event ({heap / calendar:F2}x)");
            }
        }
    }

    private static double Calendar(int n)
    {
        var sim = new Simulation(1);
        var rng = new System.Random(1);
        var queue = new EventQueue();
        for (int i = 0; i < n; i++)
            queue.Push(new Event(sim), Delay(rng), EventPriority.Normal, 0);
        long now = 0;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < Events; i++)
        {
            var e = queue.Pop(now, out now);
            queue.Push(e, now + Delay(rng), EventPriority.Normal, now);
        }
        return sw.Elapsed.TotalNanoseconds / Events;
    }

    private static double Heap(int n)
    {
        var sim = new Simulation(1);
        var rng = new System.Random(1);
        var queue = new FourAryHeapQueue();
        for (int i = 0; i < n; i++)
            queue.Push(new Event(sim), Delay(rng), EventPriority.Normal, 0);
        long now = 0;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < Events; i++)
        {
            var e = queue.Pop(now, out now);
            queue.Push(e, now + Delay(rng), EventPriority.Normal, now);
        }
        return sw.Elapsed.TotalNanoseconds / Events;
    }
}

/// <summary>The engine's queue until 2026-11-30: a 4-ary min-heap of (time, priority and sequence, event) structs
/// whose pop leaves the root vacant for the next push, with one FIFO per priority for the current instant.</summary>
internal sealed class FourAryHeapQueue
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

    public FourAryHeapQueue()
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
