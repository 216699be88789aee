using System.Diagnostics;
using MathNet.Numerics.Distributions;
using TlbSim.Model.Kernel;
using TlbSim.Model.Units;

namespace TlbSim.Bench;

/// <summary>A fast Stopwatch pass over the hold model and its floor, for iterating on the engine; BenchmarkDotNet gives the recorded figures.</summary>
public static class Quick
{
    public static void Run()
    {
        for (int round = 0; round < 2; round++)
            Once(round == 0 ? "warm-up" : "measured");
    }

    private static void Once(string label)
    {
        Console.WriteLine(label);
        foreach (int n in new[] { 10, 1000, 100_000 })
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

            var hold = new HoldBenchmark { N = n };
            hold.Setup();
            long before = GC.GetAllocatedBytesForCurrentThread();
            sw.Restart();
            hold.Engine();
            double engineNs = sw.Elapsed.TotalNanoseconds / HoldBenchmark.Events;
            long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            Console.WriteLine($"N={n,6}: sample {sample:F1} ns, floor {floorNs:F1} ns/event, engine {engineNs:F1} ns/event, {bytes} bytes ({sum > 0})");
        }
    }
}
