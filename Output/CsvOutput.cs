using System.Globalization;
using CsvHelper;
using TlbSim.Analysis;

namespace TlbSim.Output;

/// <summary>The CSV files of a run, in the invariant culture, with units in the column names.</summary>
public static class CsvOutput
{
    /// <summary>Formats a number for CSV: invariant, at most 6 decimals, empty for NaN.</summary>
    public static string Num(double x)
    {
        if (double.IsNaN(x) || double.IsInfinity(x))
            return "";
        return Math.Round(x, 6).ToString("0.######", CultureInfo.InvariantCulture);
    }

    /// <summary>summary.csv: one row per scenario x mechanism x sweep point.</summary>
    public static void WriteSummary(TextWriter writer, IReadOnlyList<SummaryRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var swept = rows.SelectMany(r => r.Assignments.Select(a => a.Key)).Distinct().ToList();
        using var csv = CsvWriter.Create(writer, new CsvWriterOptions { FormatProvider = CultureInfo.InvariantCulture, NewLine = "\n" }, leaveOpen: true);
        string[] header =
        [
            "scenario", "mechanism", "operation", "point", "cpus", "replications", "ops",
            "op_latency_p50_ns", "op_latency_p50_ci95_ns", "op_latency_p50_ok", "op_latency_p90_ns", "op_latency_p90_ci95_ns", "op_latency_p90_ok",
            "op_latency_p99_ns", "op_latency_p99_ci95_ns", "op_latency_p99_ok", "op_latency_p999_ns", "op_latency_p999_ci95_ns", "op_latency_p999_ok",
            "op_latency_max_ns", "op_latency_mean_ns", "op_latency_mean_ci95_ns", "ops_per_s", "ipis_per_s",
            "shootdowns_per_s", "full_flushes_per_s", "tlb_misses_per_s", "walk_time_share", "irq_time_share", "flush_time_share",
            "workload_time_share", "kernel_time_share", "idle_time_share", "lock_time_share", "workload_slowdown", "workload_slowdown_ci95",
            "kernel_time_slowdown", "kernel_time_slowdown_ci95", "latency_share_wake", "latency_share_irqs_off",
            "latency_share_per_target", "latency_share_remote_wait", "loops_per_s_per_thread", "ns_per_loop", "tlb_invalidation_share",
            "direct_map_1g", "direct_map_2m", "direct_map_4k", "operation_rate_per_s",
            "workload_slowdown_vs_reference", "kernel_time_slowdown_vs_reference", "precision_met",
        ];
        foreach (var h in header.Concat(swept))
            csv.WriteField(h);
        csv.EndRecord();
        foreach (var r in rows)
        {
            csv.WriteField(r.Scenario);
            csv.WriteField(r.Mechanism);
            csv.WriteField(r.Operation);
            csv.WriteField(r.Point.ToString(CultureInfo.InvariantCulture));
            csv.WriteField(r.Cpus.ToString(CultureInfo.InvariantCulture));
            csv.WriteField(r.Replications.ToString(CultureInfo.InvariantCulture));
            csv.WriteField(r.Ops.ToString(CultureInfo.InvariantCulture));
            foreach (var (value, ci, ok) in new[] { (r.P50Ns, r.P50Ci95Ns, r.P50Ok), (r.P90Ns, r.P90Ci95Ns, r.P90Ok), (r.P99Ns, r.P99Ci95Ns, r.P99Ok), (r.P999Ns, r.P999Ci95Ns, r.P999Ok) })
            {
                csv.WriteField(Num(value));
                csv.WriteField(Num(ci));
                csv.WriteField(ok ? "true" : "false");
            }
            foreach (var v in new[]
            {
                r.MaxNs, r.MeanNs, r.MeanCi95Ns, r.OpsPerS, r.IpisPerS, r.ShootdownsPerS, r.FullFlushesPerS,
                r.TlbMissesPerS, r.WalkTimeShare, r.IrqTimeShare, r.FlushTimeShare, r.WorkloadTimeShare, r.KernelTimeShare, r.IdleTimeShare, r.LockTimeShare,
                r.WorkloadSlowdown, r.WorkloadSlowdownCi95, r.KernelTimeSlowdown, r.KernelTimeSlowdownCi95,
                r.LatencyShareWake, r.LatencyShareIrqsOff, r.LatencySharePerTarget, r.LatencyShareRemoteWait,
                r.LoopsPerSPerThread, r.NsPerLoop, r.TlbInvalidationShare,
                r.DirectMap1G, r.DirectMap2M, r.DirectMap4K, r.OperationRate, r.WorkloadSlowdownVsReference, r.KernelTimeSlowdownVsReference,
            })
                csv.WriteField(Num(v));
            csv.WriteField(r.PrecisionMet switch { true => "true", false => "false", null => "" });
            foreach (var key in swept)
                csv.WriteField(r.Assignments.FirstOrDefault(a => a.Key == key).Value ?? "");
            csv.EndRecord();
        }
    }

    /// <summary>histograms.csv: the merged latency histogram of each group, non-empty buckets only.</summary>
    public static void WriteHistograms(TextWriter writer, IReadOnlyList<RunRecord> records)
    {
        using var csv = CsvWriter.Create(writer, new CsvWriterOptions { FormatProvider = CultureInfo.InvariantCulture, NewLine = "\n" }, leaveOpen: true);
        foreach (var h in new[] { "scenario", "point", "mechanism", "operation", "cpus", "bucket_low_ns", "bucket_high_ns", "count" })
            csv.WriteField(h);
        csv.EndRecord();
        foreach (var (key, operation, cpus, hist) in Aggregate.Histograms(records))
        {
            foreach (var (low, high, count) in hist.Nonempty())
            {
                csv.WriteField(key.Scenario);
                csv.WriteField(key.Point.ToString(CultureInfo.InvariantCulture));
                csv.WriteField(key.Mechanism);
                csv.WriteField(operation);
                csv.WriteField(cpus.ToString(CultureInfo.InvariantCulture));
                csv.WriteField(Num(low / 1e3));
                csv.WriteField(Num(high / 1e3));
                csv.WriteField(count.ToString(CultureInfo.InvariantCulture));
                csv.EndRecord();
            }
        }
    }

    /// <summary>timeseries.csv: samples over simulated time since warm-up, mean over replications.</summary>
    public static void WriteTimeseries(TextWriter writer, IReadOnlyList<RunRecord> records)
    {
        using var csv = CsvWriter.Create(writer, new CsvWriterOptions { FormatProvider = CultureInfo.InvariantCulture, NewLine = "\n" }, leaveOpen: true);
        foreach (var h in new[] { "time_ms", "scenario", "point", "mechanism", "cpus", "metric", "value" })
            csv.WriteField(h);
        csv.EndRecord();
        foreach (var (key, cpus, samples) in Aggregate.Series(records))
        {
            foreach (var (time, metric, value) in samples)
            {
                csv.WriteField(Num(time / 1e9));
                csv.WriteField(key.Scenario);
                csv.WriteField(key.Point.ToString(CultureInfo.InvariantCulture));
                csv.WriteField(key.Mechanism);
                csv.WriteField(cpus.ToString(CultureInfo.InvariantCulture));
                csv.WriteField(metric);
                csv.WriteField(Num(value));
                csv.EndRecord();
            }
        }
    }
}
