using System.Diagnostics;
using TlbSim.Model.Kernel;

namespace TlbSim.Bench;

/// <summary>
/// The engine's queue (the 4-ary heap while few events wait, a calendar queue beyond) against each of its two
/// structures alone, on a hold model whose delays mimic the product: most
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
                double heap = Hold(new HeapOnly(new EventHeap()), n);
                double calendar = Hold(new CalendarOnly(new EventCalendar()), n);
                double engine = Hold(new Engine(new EventQueue()), n);
                Console.WriteLine($"  N={n,6}: 4-ary heap {heap:F1}, calendar alone {calendar:F1}, engine's queue {engine:F1} ns/event ({heap / engine:F2}x the heap)");
            }
        }
    }

    /// <summary>Holds <paramref name="n"/> pending events and pops and reschedules <see cref="Events"/> of them.</summary>
    private static double Hold<TQueue>(TQueue queue, int n) where TQueue : IQueue
    {
        var sim = new Simulation(1);
        var rng = new System.Random(1);
        long sequence = 0;
        for (int i = 0; i < n; i++)
            queue.Push(new Event(sim), Delay(rng), sequence++, 0);
        long now = 0;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < Events; i++)
        {
            var e = queue.Pop(now, out now);
            queue.Push(e, now + Delay(rng), sequence++, now);
        }
        return sw.Elapsed.TotalNanoseconds / Events;
    }

    // The three structures behind one shape; structs, so each Hold is compiled for its own queue without virtual calls.
    private interface IQueue
    {
        void Push(Event e, long time, long sequence, long now);

        Event Pop(long now, out long time);
    }

    private readonly struct HeapOnly(EventHeap heap) : IQueue
    {
        public void Push(Event e, long time, long sequence, long now) => heap.Push(time, sequence, e);

        public Event Pop(long now, out long time) => heap.Pop(out time, out _);
    }

    private readonly struct CalendarOnly(EventCalendar calendar) : IQueue
    {
        public void Push(Event e, long time, long sequence, long now) => calendar.Push(time, sequence, e);

        public Event Pop(long now, out long time) => calendar.Pop(out time, out _);
    }

    private readonly struct Engine(EventQueue queue) : IQueue
    {
        public void Push(Event e, long time, long sequence, long now) => queue.Push(e, time, EventPriority.Normal, now);

        public Event Pop(long now, out long time) => queue.Pop(now, out time);
    }
}
