using MathNet.Numerics.Distributions;

namespace TlbSim.Analysis;

/// <summary>Summary statistics over replications.</summary>
public static class Statistics
{
    /// <summary>
    /// Mean of <paramref name="values"/> and the half-width of its 95% confidence interval (Student t with n-1
    /// degrees of freedom); the half-width is 0 with fewer than two values.
    /// </summary>
    public static (double Mean, double HalfWidth) MeanCi95(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int n = values.Count;
        if (n == 0)
            return (0, 0);
        double mean = values.Average();
        if (n < 2)
            return (mean, 0);
        double variance = values.Sum(v => (v - mean) * (v - mean)) / (n - 1);
        double t = StudentT.InvCDF(0, 1, n - 1, 0.975);
        return (mean, t * Math.Sqrt(variance / n));
    }

    /// <summary>
    /// The half-width of the 95% Student-t interval of the mean of <paramref name="values"/>, or NaN with fewer
    /// than two values (no interval can be given).
    /// </summary>
    public static double HalfWidth95(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values.Count < 2 ? double.NaN : MeanCi95(values).HalfWidth;
    }

    /// <summary>Operations that must lie above a percentile in every replication for it to be reported as reliable.</summary>
    public const int TailOperations = 10;

    /// <summary>
    /// The reliability rule: the <paramref name="percentile"/>th percentile is supported when every replication
    /// has at least <see cref="TailOperations"/> operations above it (ops x (1 - p/100) &gt;= 10: 20 operations for
    /// p50, 100 for p90, 1,000 for p99, 10,000 for p99.9) and there are at least two replications, so that
    /// an interval exists.
    /// </summary>
    public static bool Supported(double percentile, IReadOnlyList<long> opsPerReplication)
    {
        ArgumentNullException.ThrowIfNull(opsPerReplication);
        if (opsPerReplication.Count < 2)
            return false;
        double tailShare = 1 - percentile / 100;
        return opsPerReplication.All(n => n * tailShare >= TailOperations - 1e-9);
    }
}

/// <summary>A summary figure a precision target can be set on.</summary>
public enum PrecisionMetric
{
    /// <summary>The median latency.</summary>
    OpLatencyP50Ns,

    /// <summary>The 90th percentile.</summary>
    OpLatencyP90Ns,

    /// <summary>The 99th percentile.</summary>
    OpLatencyP99Ns,

    /// <summary>The 99.9th percentile.</summary>
    OpLatencyP999Ns,

    /// <summary>The mean latency.</summary>
    OpLatencyMeanNs,

    /// <summary>The workload slowdown against baseline.</summary>
    WorkloadSlowdown,

    /// <summary>The kernel-time slowdown against baseline.</summary>
    KernelTimeSlowdown,
}

/// <summary>A precision target as the analysis sees it: a metric and the largest relative 95% half-width.</summary>
/// <param name="Metric">The figure.</param>
/// <param name="RelativeCi95">The target half-width as a share of the value.</param>
public sealed record PrecisionTarget(PrecisionMetric Metric, double RelativeCi95);

/// <summary>Reads a precision metric and its interval off a summary row.</summary>
public static class Precision
{
    /// <summary>The value of <paramref name="metric"/> in <paramref name="row"/> and the half-width of its 95% interval.</summary>
    public static (double Value, double HalfWidth) Of(SummaryRow row, PrecisionMetric metric)
    {
        ArgumentNullException.ThrowIfNull(row);
        return metric switch
        {
            PrecisionMetric.OpLatencyP50Ns => (row.P50Ns, row.P50Ci95Ns),
            PrecisionMetric.OpLatencyP90Ns => (row.P90Ns, row.P90Ci95Ns),
            PrecisionMetric.OpLatencyP99Ns => (row.P99Ns, row.P99Ci95Ns),
            PrecisionMetric.OpLatencyP999Ns => (row.P999Ns, row.P999Ci95Ns),
            PrecisionMetric.OpLatencyMeanNs => (row.MeanNs, row.Replications < 2 ? double.NaN : row.MeanCi95Ns),
            PrecisionMetric.WorkloadSlowdown => (row.WorkloadSlowdown, row.WorkloadSlowdownCi95),
            _ => (row.KernelTimeSlowdown, row.KernelTimeSlowdownCi95),
        };
    }

    /// <summary>
    /// Whether <paramref name="row"/> meets a target of <paramref name="relativeCi95"/> on <paramref name="metric"/>:
    /// the interval exists and its half-width is at most that share of the value (a zero value with a zero
    /// interval meets any target).
    /// </summary>
    public static bool Met(SummaryRow row, PrecisionMetric metric, double relativeCi95)
    {
        var (value, half) = Of(row, metric);
        if (double.IsNaN(half) || double.IsNaN(value))
            return false;
        return half <= relativeCi95 * Math.Abs(value) + 1e-12;
    }
}
