using FsCheck;
using FsCheck.Fluent;
using TlbSim.Analysis;
using Xunit;

namespace TlbSim.Tests.Analysis;

/// <summary>Do the streaming histogram and the replication statistics give the answers stored samples would, within their stated error?</summary>
public class AnalysisTests
{
    [Fact]
    public void Every_bucket_is_at_most_a_thousandth_of_its_values_wide()
    {
        for (long v = 1; v < LatencyHistogram.HighestTrackable; v = v * 3 + 1)
        {
            var h = new LatencyHistogram();
            h.Record(v);
            var (low, high, count) = h.Nonempty().Single();
            Assert.Equal(1, count);
            Assert.InRange(v, low, high - 1);
            Assert.True(high - low <= Math.Max(1, low / 1000), $"bucket [{low},{high}) for {v}");
        }
    }

    [Fact]
    public void Percentiles_are_within_one_percent_of_the_exact_order_statistics()
    {
        Prop.ForAll<int[]>(raw =>
        {
            var values = raw.Select(x => (long)Math.Abs((long)x) * 997 + 1).ToArray();
            if (values.Length == 0)
                return true;
            var h = new LatencyHistogram();
            foreach (var v in values)
                h.Record(v);
            Array.Sort(values);
            foreach (double p in new[] { 50.0, 90, 99, 99.9 })
            {
                long exact = values[Math.Max(0, (int)Math.Ceiling(p / 100 * values.Length) - 1)];
                long got = h.Percentile(p);
                if (got < exact || got > exact * 1.001 + 1)
                    return false;
            }
            return h.Max == values[^1] && h.Min == values[0] && Math.Abs(h.Mean - values.Average()) < 1e-6 * values.Average() + 1e-9;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200).WithReplay(17UL, 19UL).WithQuietOnSuccess(true));
    }

    [Fact]
    public void The_999th_permille_of_1000_samples_is_the_999th_value_not_the_maximum()
    {
        var h = new LatencyHistogram();
        for (long v = 1; v <= 1000; v++)
            h.Record(v * 1000);
        Assert.InRange(h.Percentile(99.9), 999_000, 999_000 * 1.001);
        Assert.Equal(1_000_000, h.Percentile(100));
    }

    [Fact]
    public void Merged_histograms_equal_one_histogram_of_all_samples()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        var all = new LatencyHistogram();
        var rng = new Random(9);
        for (int i = 0; i < 10_000; i++)
        {
            long v = (long)(Math.Exp(rng.NextDouble() * 20));
            (i % 2 == 0 ? a : b).Record(v);
            all.Record(v);
        }
        a.Merge(b);
        Assert.Equal(all.Nonempty(), a.Nonempty());
        Assert.Equal(all.Percentile(99), a.Percentile(99));
        Assert.Equal(all.Count, a.Count);
    }

    [Fact]
    public void The_95_percent_interval_uses_Student_t()
    {
        var (mean, half) = Statistics.MeanCi95([1, 2, 3, 4]);
        Assert.Equal(2.5, mean, 12);
        // s = 1.29099, t(3, 0.975) = 3.18245: half = 3.18245 * 1.29099 / 2
        Assert.Equal(3.182446 * 1.290994 / 2, half, 4);
        Assert.Equal((5.0, 0.0), Statistics.MeanCi95([5]));
    }
}
