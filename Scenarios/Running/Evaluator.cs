using TlbSim.Analysis;
using TlbSim.Scenarios.Loading;

namespace TlbSim.Scenarios.Running;

/// <summary>
/// Runs a whole scenario file under some overrides and returns its summary rows: the unit the sensitivity
/// and crossover commands repeat. Every evaluation uses the file's seeds, so two evaluations differ only by
/// their overrides (common random numbers); precision targets are not chased (each point runs its stated
/// replications).
/// </summary>
public static class Evaluator
{
    /// <summary>
    /// The summary rows of every mechanism's primary operation at every point of <paramref name="path"/> with
    /// <paramref name="sets"/> applied; with <paramref name="cache"/>, runs seen before are not run again.
    /// </summary>
    /// <exception cref="ScenarioException">The file or an override is wrong.</exception>
    public static IReadOnlyList<SummaryRow> Evaluate(string path, IReadOnlyList<string> sets, int jobs, IReadOnlyCollection<string>? only = null, RunCache? cache = null,
        CancellationToken cancel = default)
    {
        var file = ScenarioLoader.Load(path, sets);
        var units = Runner.Plan(file, only);
        var records = cache is null ? Runner.ExecuteAll(units, jobs, cancel: cancel) : cache.ExecuteAll(units, jobs, cancel);
        return Aggregate.Summary(records).Where(r => r.PrimaryOperation).ToList();
    }

    /// <summary>The value of <paramref name="metric"/> in a row, or NaN where no operation ran.</summary>
    public static double Value(SummaryRow row, PrecisionMetric metric) => Precision.Of(row, metric).Value;

    /// <summary>The metric names the commands accept, as summary.csv names its columns.</summary>
    public static IReadOnlyDictionary<string, PrecisionMetric> Metrics { get; } =
        Enum.GetValues<PrecisionMetric>().ToDictionary(m => ParamReflection.Snake(m.ToString()), StringComparer.Ordinal);
}
