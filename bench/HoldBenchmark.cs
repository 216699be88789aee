using BenchmarkDotNet.Attributes;
using MathNet.Numerics.Distributions;
using TlbSim.Model.Kernel;
using TlbSim.Model.Units;

namespace TlbSim.Bench;

/// <summary>
/// The hold model: N processes, each looping on an exponential timeout with mean 1 s, 10M timeouts in all.
/// Setup starts every process and runs it to its first wait, so the measured part is the steady state:
/// one pop, one process resumption, one random sample and one push per event.
/// Reported time and allocation are per event (OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 6, invocationCount: 1)]
public class HoldBenchmark
{
    public const int Events = 10_000_000;

    private Simulation _sim = null!;

    [Params(10, 1000, 100_000)]
    public int N { get; set; }

    [IterationSetup]
    public void Setup()
    {
        _sim = new Simulation(seed: 1);
        var rng = _sim.Random.Stream("hold");
        int perProcess = Events / N;
        for (int i = 0; i < N; i++)
            _sim.Process(Hold(_sim, rng, perProcess));
        _sim.Run(new Duration(1)); // every process now waits on its first timeout
    }

    private static IEnumerable<Event> Hold(Simulation sim, System.Random rng, int count)
    {
        for (int i = 0; i < count; i++)
            yield return sim.Timeout(Duration.FromSeconds(Exponential.Sample(rng, 1.0)));
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public long Engine()
    {
        _sim.Run();
        return _sim.EventsProcessed;
    }
}

/// <summary>
/// The floor: the same holds on .NET's <see cref="PriorityQueue{TElement, TPriority}"/> with a struct
/// (time, sequence) priority and no engine around it: pop the earliest, draw a delay, push it back.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 6, invocationCount: 1)]
public class PriorityQueueFloorBenchmark
{
    private PriorityQueue<int, Key> _queue = null!;
    private System.Random _rng = null!;
    private long _sequence;

    [Params(10, 1000, 100_000)]
    public int N { get; set; }

    public readonly record struct Key(long Time, long Sequence) : IComparable<Key>
    {
        public int CompareTo(Key other) => Time != other.Time ? Time.CompareTo(other.Time) : Sequence.CompareTo(other.Sequence);
    }

    [IterationSetup]
    public void Setup()
    {
        _rng = new Simulation(seed: 1).Random.Stream("hold");
        _queue = new PriorityQueue<int, Key>(N);
        _sequence = 0;
        for (int i = 0; i < N; i++)
            _queue.Enqueue(i, new Key(Delay(), _sequence++));
    }

    private long Delay() => Duration.FromSeconds(Exponential.Sample(_rng, 1.0)).Picoseconds;

    [Benchmark(OperationsPerInvoke = HoldBenchmark.Events, Baseline = true)]
    public long DequeueThenEnqueue()
    {
        long now = 0;
        for (int i = 0; i < HoldBenchmark.Events; i++)
        {
            _queue.TryDequeue(out int element, out var key);
            now = key.Time;
            _queue.Enqueue(element, new Key(now + Delay(), _sequence++));
        }
        return now;
    }

    [Benchmark(OperationsPerInvoke = HoldBenchmark.Events)]
    public long DequeueEnqueueFused()
    {
        long now = 0;
        for (int i = 0; i < HoldBenchmark.Events; i++)
        {
            _queue.TryPeek(out _, out var key);
            now = key.Time;
            _queue.DequeueEnqueue(0, new Key(now + Delay(), _sequence++));
        }
        return now;
    }
}
