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
}
