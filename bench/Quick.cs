using System.Diagnostics;
using MathNet.Numerics.Distributions;
using TlbSim.Model.Kernel;
using TlbSim.Model.Units;

namespace TlbSim.Bench;

/// <summary>A fast Stopwatch pass over the hold model and its floor, for iterating on the engine; BenchmarkDotNet gives the recorded figures.</summary>
public static class Quick
{
    /// <summary>Runs a warm-up and a measured round over <paramref name="sizes"/> (10, 1,000 and 100,000 processes when empty).</summary>
    public static void Run(IReadOnlyList<int> sizes)
    {
        var ns = sizes.Count > 0 ? sizes : [10, 1000, 100_000];
        for (int round = 0; round < 2; round++)
            Once(round == 0 ? "warm-up" : "measured", ns);
    }

    /// <summary>The engine's own queue under the same holds, with events that are never touched: what the queue costs apart from the processes.</summary>
    private static double QueueAlone(int n)
    {
        var sim = new Simulation(1);
        var rng = sim.Random.Stream("hold");
        var queue = new EventQueue();
        for (int i = 0; i < n; i++)
            queue.Push(new Event(sim), Delay(rng), EventPriority.Normal, 0);
        long now = 0;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < HoldBenchmark.Events; i++)
        {
            var e = queue.Pop(now, out now);
            queue.Push(e, now + Delay(rng), EventPriority.Normal, now);
        }
        return sw.Elapsed.TotalNanoseconds / HoldBenchmark.Events;
    }

    private static long Delay(System.Random rng) => Duration.FromSeconds(Exponential.Sample(rng, 1.0)).Picoseconds;

    private static void Once(string label, IReadOnlyList<int> sizes)
    {
        Console.WriteLine(label);
        foreach (int n in sizes)
        {
            var rng = new Simulation(1).Random.Stream("x");
            var sw = Stopwatch.StartNew();
            double sum = 0;
            for (int i = 0; i < HoldBenchmark.Events; i++)
                sum += Duration.FromSeconds(Exponential.Sample(rng, 1.0)).Picoseconds;
            double sample = sw.Elapsed.TotalNanoseconds / HoldBenchmark.Events;

            var floor = new PriorityQueueFloorBenchmark { N = n };
            floor.Setup();
            sw.Restart();
            floor.DequeueThenEnqueue();
            double floorNs = sw.Elapsed.TotalNanoseconds / HoldBenchmark.Events;

            double queueNs = QueueAlone(n);

            var hold = new HoldBenchmark { N = n };
            hold.Setup();
            long before = GC.GetAllocatedBytesForCurrentThread();
            sw.Restart();
            hold.Engine();
            double engineNs = sw.Elapsed.TotalNanoseconds / HoldBenchmark.Events;
            long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            Console.WriteLine($"N={n,6}: sample {sample:F1} ns, floor {floorNs:F1} ns/event, engine's queue alone {queueNs:F1} ns/event, engine {engineNs:F1} ns/event, {bytes} bytes ({sum > 0})");
        }
    }
}
