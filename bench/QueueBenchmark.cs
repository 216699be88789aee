using System.Diagnostics;
using TlbSim.Model.Kernel;

namespace TlbSim.Bench;

/// <summary>
/// The engine's queue (a 4-ary heap with a FIFO per priority for the current instant) against a calendar
/// queue (Brown 1988: a ring of time buckets, each kept sorted, with an overflow heap for events past
/// the ring's horizon), on a hold model whose delays mimic the product: most events a few hundred
/// nanoseconds to tens of microseconds ahead (IPI deliveries, handler windows, workload slices) and a tail
/// of idle periods. Run with <c>dotnet run -c Release --project bench -- queue</c>.
/// </summary>
public static class QueueBenchmark
{
    private const int Events = 4_000_000;

    /// <summary>A delay of the product's mix: 50% 50 ns-1 us, 40% 1-20 us, 10% exponential with mean 200 us (picoseconds).</summary>
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
            foreach (int n in new[] { 1000, 4000, 100_000 })
            {
                double heap = Engine(n), calendar = Calendar(n);
                Console.WriteLine($"  N={n,6}: engine heap {heap:F1} ns/event, calendar {calendar:F1} ns/event ({heap / calendar:F2}x)");
            }
        }
    }

    private static double Engine(int n)
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

    private static double Calendar(int n)
    {
        var rng = new System.Random(1);
        var queue = new CalendarQueue(bucketWidth: 500_000, buckets: 1 << 14);
        long sequence = 0;
        for (int i = 0; i < n; i++)
            queue.Push(i, Delay(rng), sequence++);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < Events; i++)
        {
            int item = queue.Pop(out long now);
            queue.Push(item, now + Delay(rng), sequence++);
        }
        return sw.Elapsed.TotalNanoseconds / Events;
    }
}

/// <summary>A calendar queue of (time, sequence) keys: a ring of buckets one window wide, an overflow heap beyond.</summary>
internal sealed class CalendarQueue(long bucketWidth, int buckets)
{
    private struct Entry
    {
        public long Time;
        public long Sequence;
        public int Item;
    }

    private readonly Entry[][] _buckets = Enumerable.Range(0, buckets).Select(_ => new Entry[4]).ToArray();
    private readonly int[] _counts = new int[buckets];
    private readonly int _mask = buckets - 1;
    private readonly PriorityQueue<Entry, (long, long)> _overflow = new();
    private long _windowStart; // start time of the current bucket
    private int _current;
    private int _count;

    private long Horizon => _windowStart + bucketWidth * (_mask + 1);

    public void Push(int item, long time, long sequence)
    {
        var e = new Entry { Time = time, Sequence = sequence, Item = item };
        _count++;
        if (time >= Horizon)
        {
            _overflow.Enqueue(e, (time, sequence));
            return;
        }
        Insert(e);
    }

    private void Insert(Entry e)
    {
        int b = (int)((e.Time / bucketWidth) & _mask);
        ref var bucket = ref _buckets[b];
        int count = _counts[b];
        if (count == bucket.Length)
            Array.Resize(ref bucket, count * 2);
        // Kept in descending order, so the earliest is popped from the end.
        int i = count;
        while (i > 0 && (bucket[i - 1].Time < e.Time || (bucket[i - 1].Time == e.Time && bucket[i - 1].Sequence < e.Sequence)))
        {
            bucket[i] = bucket[i - 1];
            i--;
        }
        bucket[i] = e;
        _counts[b] = count + 1;
    }

    public int Pop(out long time)
    {
        while (true)
        {
            int count = _counts[_current];
            if (count > 0)
            {
                var e = _buckets[_current][count - 1];
                if (e.Time < _windowStart + bucketWidth)
                {
                    _counts[_current] = count - 1;
                    _count--;
                    time = e.Time;
                    return e.Item;
                }
            }
            // The current bucket holds nothing of this window: move on one bucket, and let in what the horizon now covers.
            _current = (_current + 1) & _mask;
            _windowStart += bucketWidth;
            while (_overflow.Count > 0 && _overflow.Peek().Time < Horizon)
                Insert(_overflow.Dequeue());
        }
    }
}
