using TlbSim.Analysis;

namespace TlbSim.Output.Charts;

/// <summary>A chart file of a run.</summary>
public sealed record Figure(string FileName, string Title, string Caption, Chart Chart)
{
    private string? _svg;

    /// <summary>The scenario the chart belongs to.</summary>
    public string Scenario { get; init; } = "";

    /// <summary>The chart as SVG (rendered once).</summary>
    public string Svg => _svg ??= Chart.Svg();

    /// <summary>The file name of the PNG beside the SVG.</summary>
    public string PngFileName => Path.ChangeExtension(FileName, ".png");
}

/// <summary>Builds the run's charts from its records and summary.</summary>
public static class Figures
{
    /// <summary>Every chart, in a fixed order.</summary>
    public static IReadOnlyList<Figure> All(IReadOnlyList<RunRecord> records, IReadOnlyList<SummaryRow> summary)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(summary);
        var figures = new List<Figure>();
        // Charts show each mechanism's first kind of operation (xpfo: unmap, the direction that flushes).
        summary = summary.Where(r => r.PrimaryOperation).ToList();
        var histograms = Aggregate.Histograms(records).GroupBy(h => h.Key).Select(g => g.First()).Select(h => (h.Key, h.Cpus, h.Histogram)).ToList();
        foreach (var scenario in summary.Select(r => r.Scenario).Distinct())
        {
            var rows = summary.Where(r => r.Scenario == scenario).ToList();
            int before = figures.Count;
            if (rows.Select(r => r.Cpus).Distinct().Count() > 1)
            {
                figures.Add(PercentilesByCpus(scenario, rows));
                figures.Add(SlowdownByCpus(scenario, rows));
            }
            if (rows.Select(r => r.OperationRate).Distinct().Count() > 1)
                figures.Add(SlowdownByRate(scenario, rows));
            // One CDF and one histogram per sweep point, each titled with its point.
            foreach (int point in rows.Select(r => r.Point).Distinct().Order())
            {
                var pointLabel = Label(rows.First(r => r.Point == point));
                var groups = histograms.Where(h => h.Key.Scenario == scenario && h.Key.Point == point && h.Histogram.Count > 0).ToList();
                if (groups.Count == 0)
                    continue;
                figures.Add(Cdf(scenario, point, pointLabel, groups));
                figures.Add(Histogram(scenario, point, pointLabel, groups));
            }
            var series = Aggregate.Series(records).Where(s => s.Key.Scenario == scenario).ToList();
            if (series.Any(s => s.Samples.Any(x => x.Metric == "direct_map_4k" && x.Value > 0)))
            {
                var figure = DirectMap(scenario, series, rows);
                if (figure is not null)
                    figures.Add(figure);
            }
            for (int i = before; i < figures.Count; i++)
                figures[i] = figures[i] with { Scenario = scenario };
        }
        return figures;
    }

    private static string Label(SummaryRow r) =>
        r.Assignments.Count == 0 ? $"{r.Cpus} CPUs" : string.Join(", ", r.Assignments.Select(a => $"{a.Key}={a.Value}"));

    private static Figure Cdf(string scenario, int index, string point, IReadOnlyList<((string Scenario, int Point, string Mechanism) Key, int Cpus, LatencyHistogram Histogram)> groups)
    {
        var series = new List<Series>();
        foreach (var (key, _, h) in groups)
        {
            var pts = new List<(double, double)>();
            long seen = 0;
            foreach (var (low, high, count) in h.Nonempty())
            {
                if (seen == 0)
                    pts.Add((Math.Max(low, h.Min) / 1e3, 0));
                seen += count;
                pts.Add((Math.Min(high, h.Max + 1) / 1e3, (double)seen / h.Count));
            }
            double p50 = h.Percentile(50) / 1e3, p99 = h.Percentile(99) / 1e3;
            // A curve from fewer than 1,000 operations has no supported p99: say so in its name, and drop the p99 mark.
            bool thin = h.Count < 1000;
            series.Add(new Series(thin ? $"{key.Mechanism} (thin: {h.Count} ops)" : key.Mechanism, pts)
            {
                Marks = thin ? [(p50, 0.5, "p50")] : [(p50, 0.5, "p50"), (p99, 0.99, "p99")],
            });
        }
        var chart = new Chart
        {
            Title = $"{scenario}: operation latency CDF, point {index}",
            Subtitle = $"at {point}; large markers: p50 and p99 (no p99 on a thin curve, under 1,000 operations)",
            XLabel = "operation latency [ns]",
            YLabel = "fraction of operations ≤ latency",
            XLog = true,
            YRange = (0, 1),
            Series = series,
        };
        return new Figure($"cdf_{scenario}_p{index}.svg", chart.Title, $"Cumulative distribution of operation latency at point {index}: {point}.", chart);
    }

    private static Figure Histogram(string scenario, int index, string point, IReadOnlyList<((string Scenario, int Point, string Mechanism) Key, int Cpus, LatencyHistogram Histogram)> groups)
    {
        var series = new List<Series>();
        foreach (var (key, _, h) in groups)
        {
            // Re-bin into 10 log-spaced bins per decade, as a fraction of operations per bin.
            var bins = new SortedDictionary<int, long>();
            foreach (var (low, high, count) in h.Nonempty())
            {
                int bin = (int)Math.Floor(Math.Log10(Math.Max(1, (low + high) / 2.0) / 1e3) * 10);
                bins[bin] = bins.GetValueOrDefault(bin) + count;
            }
            var pts = new List<(double, double)>();
            int? previous = null;
            foreach (var (bin, count) in bins)
            {
                double lo = Math.Pow(10, bin / 10.0), hi = Math.Pow(10, (bin + 1) / 10.0);
                if (previous is { } p && p != bin - 1)
                {
                    pts.Add((Math.Pow(10, (p + 1) / 10.0), 0)); // empty bins in between drop to zero
                    pts.Add((lo, 0));
                }
                pts.Add((lo, (double)count / h.Count));
                pts.Add((hi, (double)count / h.Count));
                previous = bin;
            }
            series.Add(new Series(key.Mechanism, pts) { Steps = true });
        }
        var chart = new Chart
        {
            Title = $"{scenario}: operation latency histogram, point {index}",
            Subtitle = $"at {point}; 10 log-spaced bins per decade",
            XLabel = "operation latency [ns]",
            YLabel = "fraction of operations per bin",
            XLog = true,
            Series = series,
        };
        return new Figure($"histogram_{scenario}_p{index}.svg", chart.Title, $"Latency histogram at point {index}: {point}.", chart);
    }

    private static Figure PercentilesByCpus(string scenario, IReadOnlyList<SummaryRow> rows)
    {
        var series = new List<Series>();
        int slot = 0;
        foreach (var group in rows.GroupBy(r => (r.Mechanism, Other: string.Join(", ", r.Assignments.Where(a => a.Key != "machine.cpus").Select(a => a.Value)))))
        {
            var mine = group.OrderBy(r => r.Cpus).ToList();
            string name = group.Key.Other.Length > 0 ? $"{group.Key.Mechanism} ({group.Key.Other})" : group.Key.Mechanism;
            series.Add(new Series(name, mine.Select(r => ((double)r.Cpus, r.P50Ns)).ToList())
            {
                Style = slot, Errors = mine.Select(r => r.P50Ci95Ns).ToList(), Unsupported = mine.Select(r => !r.P50Ok).ToList(),
            });
            series.Add(new Series($"{name} p99", mine.Select(r => ((double)r.Cpus, r.P99Ns)).ToList())
            {
                Style = slot, Dashed = true, InLegend = false, Errors = mine.Select(r => r.P99Ci95Ns).ToList(), Unsupported = mine.Select(r => !r.P99Ok).ToList(),
            });
            slot++;
        }
        var chart = new Chart
        {
            Title = $"{scenario}: latency percentiles vs CPU count",
            Subtitle = "p50 solid, p99 dashed (SVG: thin, open markers); bars: 95% interval; grey rings: too few operations",
            XLabel = "CPUs",
            YLabel = "operation latency [ns]",
            XLog = true,
            XTicksAtValues = true,
            YLog = true,
            Series = series,
        };
        return new Figure($"percentiles_vs_cpus_{scenario}.svg", chart.Title, "p50 and p99 operation latency as the machine grows.", chart);
    }

    /// <summary>The workload slowdown along <paramref name="axis"/>, one series per mechanism and value of the other swept keys, with 95% intervals.</summary>
    private static List<Series> SlowdownSeries(IReadOnlyList<SummaryRow> rows, string axis, Func<SummaryRow, double> x)
    {
        var series = new List<Series>();
        foreach (var group in rows.GroupBy(r => (r.Mechanism, Other: string.Join(", ", r.Assignments.Where(a => a.Key != axis).Select(a => a.Value)))))
        {
            var mine = group.OrderBy(x).ToList();
            series.Add(new Series(group.Key.Other.Length > 0 ? $"{group.Key.Mechanism} ({group.Key.Other})" : group.Key.Mechanism, mine.Select(r => (x(r), r.WorkloadSlowdown)).ToList())
            {
                Errors = mine.Select(r => r.WorkloadSlowdownCi95).ToList(),
            });
        }
        return series;
    }

    private static Figure SlowdownByCpus(string scenario, IReadOnlyList<SummaryRow> rows)
    {
        var series = SlowdownSeries(rows, "machine.cpus", r => r.Cpus);
        var chart = new Chart
        {
            Title = $"{scenario}: what the workload loses, by CPU count",
            Subtitle = "workload work rate of baseline / this mechanism's, same point and seeds; bars: 95% interval",
            XLabel = "CPUs",
            YLabel = "workload slowdown [x]",
            XLog = true,
            XTicksAtValues = true,
            YLog = true,
            Series = series,
        };
        return new Figure($"slowdown_vs_cpus_{scenario}.svg", chart.Title, "How much the background workload slows as the machine grows.", chart);
    }

    private static Figure SlowdownByRate(string scenario, IReadOnlyList<SummaryRow> rows)
    {
        var series = SlowdownSeries(rows, "operations.rate", r => r.OperationRate);
        var chart = new Chart
        {
            Title = $"{scenario}: workload slowdown vs operation rate",
            Subtitle = "workload work rate of baseline / this mechanism's, at the same point",
            XLabel = "operations per second per initiating CPU [1/s]",
            YLabel = "workload slowdown [x]",
            XLog = true,
            XTicksAtValues = true,
            Series = series,
        };
        return new Figure($"slowdown_vs_rate_{scenario}.svg", chart.Title, "How much the background workload slows as the mechanism is used more often.", chart);
    }

    /// <summary>A sweep value short enough for a legend: a name alone ("buddy"), a flag as "chunk_cache" or "no chunk_cache", a number with its key.</summary>
    private static string Short(KeyValuePair<string, string> assignment)
    {
        string key = assignment.Key.Split('.')[^1];
        return assignment.Value switch
        {
            "true" => key,
            "false" => $"no {key}",
            var v when v.Length > 0 && char.IsLetter(v[0]) => v,
            var v => $"{key}={v}",
        };
    }

    private static Figure? DirectMap(string scenario, IReadOnlyList<((string Scenario, int Point, string Mechanism) Key, int Cpus, IReadOnlyList<(long Time, string Metric, double Value)> Samples)> series, IReadOnlyList<SummaryRow> rows)
    {
        var lines = new List<Series>();
        // A sweep over machine size would draw every size; the largest one tells the story.
        bool bySize = rows.Select(r => r.Cpus).Distinct().Count() > 1;
        int lastPoint = rows.Max(r => r.Point);
        var metrics = new[] { ("direct_map_4k", "4K"), ("direct_map_2m", "2M"), ("direct_map_1g", "1G") };
        foreach (var (key, _, samples) in series.Where(s => s.Key.Mechanism != "baseline" && (!bySize || s.Key.Point == lastPoint)))
        {
            var row = rows.First(r => r.Point == key.Point && r.Mechanism == key.Mechanism);
            bool oneMechanism = rows.Select(r => r.Mechanism).Distinct().Count(m => m != "baseline") == 1;
            string assignments = string.Join(", ", row.Assignments.Select(Short));
            string label = row.Assignments.Count == 0 || bySize ? key.Mechanism : oneMechanism ? assignments : $"{key.Mechanism} {assignments}";
            var baseline = series.FirstOrDefault(s => s.Key.Mechanism == "baseline" && s.Key.Point == key.Point).Samples ?? [];
            var chosen = new List<Series>();
            foreach (var (metric, size) in metrics)
            {
                var pts = samples.Where(s => s.Metric == metric).Select(s => (s.Time / 1e9, s.Value)).ToList();
                bool varies = pts.Count > 0 && pts.Max(p => p.Value) != pts.Min(p => p.Value);
                if (varies)
                    chosen.Add(new Series($"{label}: {size}", pts));
            }
            if (chosen.Count == 0)
            {
                // Nothing moved during the run: show the 4K count if it differs from baseline's (a map split before measurement, or forced 4K).
                var mine = samples.Where(s => s.Metric == "direct_map_4k").Select(s => (s.Time / 1e9, s.Value)).ToList();
                var theirs = baseline.Where(s => s.Metric == "direct_map_4k").Select(s => s.Value).ToList();
                if (mine.Count > 0 && (theirs.Count == 0 || mine[^1].Value != theirs[^1]))
                    chosen.Add(new Series($"{label}: 4K", mine));
            }
            lines.AddRange(chosen);
        }
        if (lines.Count == 0)
            return null;
        var chart = new Chart
        {
            Title = $"{scenario}: direct-map mappings over time",
            Subtitle = bySize
                ? $"number of 1G, 2M and 4K pages mapping physical memory, at {rows.First(r => r.Point == lastPoint).Cpus} CPUs (the largest machine of the sweep)"
                : $"number of 1G, 2M and 4K pages mapping physical memory, {rows.Min(r => r.Cpus)} CPUs",
            XLabel = "simulated time after warm-up [ms]",
            YLabel = "mappings [count]",
            YLog = true,
            Series = lines,
        };
        return new Figure($"direct_map_{scenario}.svg", chart.Title, "Fragmentation of the direct map as the mechanism runs.", chart);
    }
}
