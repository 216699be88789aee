using TlbSim.Model.Kernel;
using TlbSim.Model.Units;
using Xunit;

namespace TlbSim.Tests.Model.Kernel;

/// <summary>Do the streaming monitors give the same answers as the stored samples would?</summary>
public class MonitorTests
{
    [Fact]
    public void A_time_weighted_monitor_averages_over_time_not_over_changes()
    {
        var sim = new Simulation();
        var m = new TimeWeightedMonitor(sim);
        IEnumerable<Event> Body()
        {
            m.Set(1);
            yield return sim.Timeout(Duration.FromNanoseconds(30));
            m.Set(4);
            yield return sim.Timeout(Duration.FromNanoseconds(10));
        }
        sim.Process(Body());
        sim.Run();
        Assert.Equal((1 * 30 + 4 * 10) / 40.0, m.Mean, 12);
        Assert.Equal(4, m.Max);
    }

    [Fact]
    public void A_sample_monitor_matches_the_two_pass_mean_and_variance()
    {
        var rng = new System.Random(3);
        var xs = Enumerable.Range(0, 1000).Select(_ => rng.NextDouble() * 100).ToArray();
        var m = new SampleMonitor();
        foreach (var x in xs)
            m.Add(x);
        double mean = xs.Average();
        double variance = xs.Sum(x => (x - mean) * (x - mean)) / (xs.Length - 1);
        Assert.Equal(mean, m.Mean, 9);
        Assert.Equal(variance, m.Variance, 6);
        Assert.Equal(xs.Min(), m.Min);
        Assert.Equal(xs.Max(), m.Max);
    }

    [Fact]
    public void Merged_sample_monitors_equal_one_monitor_over_all_samples()
    {
        var a = new SampleMonitor();
        var b = new SampleMonitor();
        var all = new SampleMonitor();
        for (int i = 0; i < 100; i++)
        {
            double x = Math.Sin(i) * 10 + i;
            (i % 3 == 0 ? a : b).Add(x);
            all.Add(x);
        }
        a.Merge(b);
        Assert.Equal(all.Count, a.Count);
        Assert.Equal(all.Mean, a.Mean, 9);
        Assert.Equal(all.Variance, a.Variance, 6);
    }
}
