using BenchmarkDotNet.Attributes;
using MathNet.Numerics.Distributions;
using TlbSim.Model.Kernel;
using TlbSim.Model.Units;

namespace TlbSim.Bench;

/// <summary>
/// The M/M/4 queue of the engine tests (lambda 3.2/s, mu 1/s), 1M customers, each a process that
/// requests a server, holds it for an exponential time and leaves. Reported per event; the run's
/// event count is fixed by the seed and printed by <see cref="EventsPerRun"/>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5, invocationCount: 1)]
public class MM4Benchmark
{
    public const int Customers = 1_000_000;

    /// <summary>Events in one run with seed 2026, measured by <see cref="CountEvents"/> (5 per customer: the arrival timeout, its start, the request grant, the service timeout and its end; plus the source's start and end).</summary>
    public const int EventsPerRun = 5_000_002;

    public static long CountEvents() => Build().Run();

    private static (Simulation Sim, Func<long> Run) Build()
    {
        var sim = new Simulation(seed: 2026);
        var servers = new Resource(sim, capacity: 4);
        var arrivals = sim.Random.Stream("arrivals");
        var service = sim.Random.Stream("service");
        IEnumerable<Event> Customer()
        {
            using var req = servers.Request();
            yield return req;
            yield return sim.Timeout(Duration.FromSeconds(Exponential.Sample(service, 1.0)));
        }
        IEnumerable<Event> Source()
        {
            for (int i = 0; i < Customers; i++)
            {
                sim.Process(Customer(), "customer");
                yield return sim.Timeout(Duration.FromSeconds(Exponential.Sample(arrivals, 3.2)));
            }
        }
        sim.Process(Source(), "source");
        return (sim, () =>
        {
            sim.Run();
            return sim.EventsProcessed;
        });
    }

    private Func<long> _run = null!;

    [IterationSetup]
    public void Setup() => _run = Build().Run;

    [Benchmark(OperationsPerInvoke = EventsPerRun)]
    public long Engine() => _run();
}
