using TlbSim.Model.Kernel;
using Xunit;

namespace TlbSim.Tests.Model.Kernel;

/// <summary>Does the queue give the exact (time, priority, sequence) order on its heap, on its calendar and across moves between them, however the delays are spread and however full it gets?</summary>
public class EventQueueTests
{
    /// <summary>A delay in picoseconds from one of the mixes a run goes through.</summary>
    private static long Delay(Random rng, int mix) => mix switch
    {
        0 => rng.Next(0, 4), // ties and the current instant
        1 => 50_000 + rng.Next(950_000), // deliveries and handler windows
        2 => (long)(-Math.Log(1 - rng.NextDouble()) * 200_000_000), // idle periods
        3 => rng.Next(2) == 0 ? rng.Next(1, 100) : 300_000_000_000L + rng.Next(1000), // a burst and far stops
        _ => 1L << rng.Next(0, 44), // every scale at once
    };

    /// <summary>Drives the queue through <paramref name="phases"/> of (pushes per pop, mix, pops) and checks every pop against a sorted reference.</summary>
    private static void Drive(int seed, (double PushesPerPop, int Mix, int Pops)[] phases)
    {
        var rng = new Random(seed);
        var sim = new Simulation();
        var queue = new EventQueue();
        var reference = new SortedSet<(long Time, int Priority, long Sequence)>();
        long now = 0;
        int currentMix = 0;
        void Push()
        {
            var e = new Event(sim);
            long time = now + Delay(rng, rng.Next(5) == 0 ? 0 : currentMix);
            var priority = (EventPriority)rng.Next(0, 5);
            queue.Push(e, time, priority, now);
            reference.Add((time, (int)priority, e.Sequence));
        }
        
        foreach (var (pushesPerPop, mix, pops) in phases)
        {
            currentMix = mix;
            for (int i = 0; i < pops; i++)
            {
                double pushes = pushesPerPop;
                while (pushes >= 1 || rng.NextDouble() < pushes)
                {
                    Push();
                    pushes -= 1;
                }
                if (rng.Next(7) == 0)
                    Assert.Equal(reference.Count == 0 ? long.MaxValue : reference.Min.Time, queue.PeekTime(now));
                if (reference.Count == 0)
                    continue;
                var expected = reference.Min;
                var e = queue.Pop(now, out long time);
                Assert.Equal(expected, (time, (int)e.ScheduledPriority, e.Sequence));
                reference.Remove(expected);
                now = time;
            }
            Assert.Equal(reference.Count, queue.Count);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Pops_follow_time_priority_sequence_through_growth_moves_between_heap_and_calendar_shrinkage_and_changes_of_delay_mix(int seed)
    {
        Drive(seed,
        [
            (3.0, 1, 20_000), // grows to about 40,000 pending, spaced by deliveries
            (1.0, 2, 20_000), // steady, the mix turns to idle periods: the width must be re-derived
            (1.0, 3, 20_000), // bursts of ties beside far stops
            (1.0, 4, 20_000), // every scale at once
            (0.0, 1, 45_000), // drains to nothing, shrinking as it goes
            (1.0, 0, 5_000), // ties and the current instant only
        ]);
    }
}
