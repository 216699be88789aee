using MathNet.Numerics.Distributions;
using TlbSim.Model.Kernel;
using TlbSim.Model.Units;
using Xunit;

namespace TlbSim.Tests.Model.Kernel;

/// <summary>Does a seed replay a run exactly, and does each component keep its own random numbers?</summary>
public class ReplayAndStreamTests
{
    private static List<(long, long, int)> Trace(long seed, int processes)
    {
        var sim = new Simulation(seed);
        var trace = new List<(long, long, int)>();
        sim.BeforeFire = e => trace.Add((e.Time.Picoseconds, e.Sequence, (int)e.Priority));
        IEnumerable<Event> Hold(System.Random rng)
        {
            for (int i = 0; i < 200; i++)
                yield return sim.Timeout(Duration.FromNanoseconds(Exponential.Sample(rng, 1.0 / 50)));
        }
        for (int p = 0; p < processes; p++)
            sim.Process(Hold(sim.Random.Stream($"cpu{p}")));
        sim.Run();
        return trace;
    }

    [Fact]
    public void The_same_seed_gives_the_same_trace()
    {
        Assert.Equal(Trace(7, 20), Trace(7, 20));
    }

    [Fact]
    public void A_different_seed_gives_a_different_trace()
    {
        Assert.NotEqual(Trace(7, 20), Trace(8, 20));
    }

    [Fact]
    public void A_named_stream_does_not_depend_on_which_other_streams_exist()
    {
        var a = new RandomStreams(99);
        var alone = Enumerable.Range(0, 5).Select(_ => 0.0).ToArray();
        var s1 = a.Stream("cpu3");
        for (int i = 0; i < 5; i++)
            alone[i] = s1.NextDouble();

        var b = new RandomStreams(99);
        _ = b.Stream("cpu0").NextDouble();
        _ = b.Stream("cpu1").NextDouble();
        var s2 = b.Stream("cpu3");
        Assert.Equal(alone, Enumerable.Range(0, 5).Select(_ => s2.NextDouble()).ToArray());
    }

    [Fact]
    public void Different_names_and_seeds_give_different_stream_seeds()
    {
        var seeds = new HashSet<int>();
        for (long run = 0; run < 20; run++)
        {
            for (int cpu = 0; cpu < 200; cpu++)
                seeds.Add(RandomStreams.DeriveSeed(run, $"cpu{cpu}"));
        }
        Assert.Equal(4000, seeds.Count);
    }
}
