using MathNet.Numerics.Distributions;
using TlbSim.Analysis;
using TlbSim.Model.Kernel;
using Xunit;

namespace TlbSim.Tests.Analysis;

/// <summary>Do the reported intervals cover the truth at their stated rate, and does the reliability flag follow its rule?</summary>
public class IntervalTests
{
    [Theory]
    [InlineData(50.0)]
    [InlineData(90.0)]
    [InlineData(99.0)]
    public void The_95_percent_interval_over_replications_covers_a_known_percentile_about_95_percent_of_the_time(double percentile)
    {
        // Latencies exponential with mean 1 us (in ps): the true percentile is -ln(1 - p) us. Each trial is a study
        // of 5 replications of 2,000 operations; the interval is the one summary.csv reports: pooled percentile,
        // Student t half-width over the replications' own percentiles.
        double truth = -Math.Log(1 - percentile / 100) * 1e6;
        var rng = new Simulation(11).Random.Stream("coverage");
        int trials = 400, covered = 0;
        for (int t = 0; t < trials; t++)
        {
            var pooled = new LatencyHistogram();
            var perRep = new List<double>();
            for (int r = 0; r < 5; r++)
            {
                var h = new LatencyHistogram();
                for (int i = 0; i < 2000; i++)
                    h.Record((long)(Exponential.Sample(rng, 1.0) * 1e6));
                perRep.Add(h.Percentile(percentile));
                pooled.Merge(h);
            }
            double half = Statistics.HalfWidth95(perRep);
            if (Math.Abs(pooled.Percentile(percentile) - truth) <= half)
                covered++;
        }
        double rate = (double)covered / trials;
        Assert.InRange(rate, 0.90, 0.995);
    }

    [Theory]
    [InlineData(99.0, 1000, true)]
    [InlineData(99.0, 999, false)]
    [InlineData(99.9, 10_000, true)]
    [InlineData(99.9, 9_999, false)]
    [InlineData(50.0, 20, true)]
    [InlineData(50.0, 19, false)]
    public void A_percentile_is_supported_only_when_every_replication_has_10_operations_above_it(double percentile, long opsEach, bool supported)
    {
        Assert.Equal(supported, Statistics.Supported(percentile, [opsEach, opsEach + 5, opsEach + 100]));
        Assert.False(Statistics.Supported(percentile, [opsEach * 100]), "one replication gives no interval, so nothing is supported");
    }

    [Fact]
    public void No_interval_is_reported_from_a_single_replication()
    {
        Assert.True(double.IsNaN(Statistics.HalfWidth95([5.0])));
        Assert.Equal(0, Statistics.HalfWidth95([5.0, 5.0]));
    }
}
