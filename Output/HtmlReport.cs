using System.Globalization;
using System.Net;
using System.Text;
using TlbSim.Analysis;
using TlbSim.Output.Charts;

namespace TlbSim.Output;

/// <summary>report.html: one self-contained page (no network) with every chart, the summary table and the resolved parameters.</summary>
public static class HtmlReport
{
    /// <summary>Renders the report.</summary>
    public static string Render(string title, IReadOnlyList<Figure> figures, IReadOnlyList<SummaryRow> rows, IReadOnlyDictionary<string, string> descriptions, string resolvedYaml, string runInfo)
    {
        ArgumentNullException.ThrowIfNull(figures);
        ArgumentNullException.ThrowIfNull(rows);
        var sb = new StringBuilder();
        void W(string s) => sb.Append(s).Append('\n');
        string E(string s) => WebUtility.HtmlEncode(s);
        W("<!DOCTYPE html>");
        W("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        W($"<title>{E(title)}</title>");
        W("<style>");
        W("body{font-family:'DejaVu Sans',Arial,sans-serif;margin:24px auto;max-width:1200px;color:#111;line-height:1.4}");
        W("h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ccc}h3{font-size:15px}");
        W("table{border-collapse:collapse;font-size:12px;margin:8px 0}th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}");
        W("th{background:#f3f3f3;position:sticky;top:0}td.l,th.l{text-align:left}figure{margin:16px 0}figcaption{font-size:12px;color:#444}");
        W("pre{background:#f7f7f7;padding:8px;font-size:11px;overflow:auto;max-height:480px}.note{color:#444;font-size:13px}");
        W(".ci{color:#555;font-size:10px;white-space:nowrap}td.weak{color:#999;background:#fafafa}.wide{overflow-x:auto}");
        W("</style></head><body>");
        W($"<h1>{E(title)}</h1>");
        W($"<p class=\"note\">{E(runInfo)}</p>");
        W("<p class=\"note\">Latency is the time one operation takes on the CPU that performs it. Workload slowdown is baseline's work rate divided by this mechanism's at the same sweep point and seeds (1 = no cost); kernel-time slowdown compares kernel time per unit of work. Shares are of all CPU time; for loop benchmarks, the TLB invalidation share is local flushes, IPI sends and waits, and handlers with their interrupt entry, and the lock wait share is time waiting for contended kernel locks. Under each figure, ± is the half-width of its 95% interval over independent replications (Student t); a figure marked † is not supported by the data: some replication had fewer than 10 operations above that percentile.</p>");
        foreach (var scenario in rows.Select(r => r.Scenario).Distinct())
        {
            W($"<h2 id=\"{E(scenario)}\">{E(scenario)}</h2>");
            if (descriptions.TryGetValue(scenario, out var d) && d.Length > 0)
                W($"<p>{E(d)}</p>");
            foreach (var f in figures.Where(f => f.Scenario == scenario))
            {
                W("<figure>");
                W(StripDeclaration(f.Svg));
                W($"<figcaption>{E(f.Caption)} ({E(f.FileName)})</figcaption></figure>");
            }
            W("<h3>Summary</h3>");
            W("<div class=\"wide\">" + Table(rows.Where(r => r.Scenario == scenario).ToList()) + "</div>");
        }
        W("<h2>Resolved parameters</h2>");
        W("<p class=\"note\">Every setting of every scenario, as run (also in resolved.yaml, which tlbsim can run again).</p>");
        W($"<pre>{E(resolvedYaml)}</pre>");
        W("</body></html>");
        return sb.ToString();
    }

    private static string StripDeclaration(string svg)
    {
        int i = svg.IndexOf("?>", StringComparison.Ordinal);
        return i >= 0 ? svg[(i + 2)..].Trim() : svg;
    }

    private static string Table(IReadOnlyList<SummaryRow> rows)
    {
        var swept = rows.SelectMany(r => r.Assignments.Select(a => a.Key)).Distinct().ToList();
        var sb = new StringBuilder("<table><thead><tr>");
        // CPUs has its own column unless machine.cpus is swept (then the swept column says it).
        bool cpusSwept = swept.Contains("machine.cpus");
        bool loops = rows.Any(r => r.LoopsPerSPerThread > 0);
        foreach (var h in Enumerable.Repeat("mechanism", 1).Concat(swept).Concat(cpusSwept ? ["reps", "ops"] : ["CPUs", "reps", "ops"]).Concat(["p50 ns", "p99 ns", "p99.9 ns", "max ns", "mean ns", "IPIs/s", "full flushes/s", "walk share", "IRQ share", "workload slowdown", "kernel-time slowdown", "4K mappings"])
            .Concat(loops ? ["ns/loop", "loops/s/thread", "TLB invalidation share", "lock wait share"] : []))
            sb.Append(CultureInfo.InvariantCulture, $"<th class=\"{(h == "mechanism" || swept.Contains(h) ? "l" : "")}\">{WebUtility.HtmlEncode(h)}</th>");
        sb.Append("</tr></thead><tbody>\n");
        foreach (var r in rows)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"l\">{WebUtility.HtmlEncode(Name(r))}</td>");
            foreach (var key in swept)
                sb.Append(CultureInfo.InvariantCulture, $"<td class=\"l\">{WebUtility.HtmlEncode(r.Assignments.FirstOrDefault(a => a.Key == key).Value ?? "")}</td>");
            foreach (var v in cpusSwept ? new[] { I(r.Replications), I(r.Ops) } : [I(r.Cpus), I(r.Replications), I(r.Ops)])
                sb.Append(CultureInfo.InvariantCulture, $"<td>{WebUtility.HtmlEncode(v)}</td>");
            foreach (var (value, ci, ok) in new[] { (r.P50Ns, r.P50Ci95Ns, r.P50Ok), (r.P99Ns, r.P99Ci95Ns, r.P99Ok), (r.P999Ns, r.P999Ci95Ns, r.P999Ok) })
                sb.Append(Cell(value, ci, ok));
            sb.Append(Cell(r.MaxNs, double.NaN, true));
            sb.Append(Cell(r.MeanNs, r.Replications > 1 ? r.MeanCi95Ns : double.NaN, true));
            foreach (var v in new[] { G(r.IpisPerS), G(r.FullFlushesPerS), P(r.WalkTimeShare), P(r.IrqTimeShare) })
                sb.Append(CultureInfo.InvariantCulture, $"<td>{WebUtility.HtmlEncode(v)}</td>");
            sb.Append(Cell(r.WorkloadSlowdown, r.WorkloadSlowdownCi95, true, x: true));
            sb.Append(Cell(r.KernelTimeSlowdown, r.KernelTimeSlowdownCi95, true, x: true));
            sb.Append(CultureInfo.InvariantCulture, $"<td>{WebUtility.HtmlEncode(G(r.DirectMap4K))}</td>");
            if (loops)
            {
                foreach (var v in new[] { G(r.NsPerLoop), G(r.LoopsPerSPerThread), P(r.TlbInvalidationShare), P(r.LockTimeShare) })
                    sb.Append(CultureInfo.InvariantCulture, $"<td>{WebUtility.HtmlEncode(v)}</td>");
            }
            sb.Append("</tr>\n");
        }
        return sb.Append("</tbody></table>").ToString();
    }

    /// <summary>
    /// A figure with its 95% half-width on a second line ("± 12"), greyed and marked † when the data do not
    /// support it (too few operations above that percentile).
    /// </summary>
    private static string Cell(double value, double ci, bool ok, bool x = false)
    {
        string main = x ? X(value) : G(value);
        string interval = double.IsFinite(ci) && ci > 0 ? $"<br><span class=\"ci\">± {WebUtility.HtmlEncode(x ? ci.ToString("0.###", CultureInfo.InvariantCulture) : G(ci))}</span>" : "";
        return ok
            ? $"<td>{WebUtility.HtmlEncode(main)}{interval}</td>"
            : $"<td class=\"weak\" title=\"fewer than 10 operations above this percentile in some replication: not supported by the data\">{WebUtility.HtmlEncode(main)} †{interval}</td>";
    }

    /// <summary>The mechanism, with the kind of operation when it has several ("xpfo unmap").</summary>
    private static string Name(SummaryRow r) => r.Operation == "op" ? r.Mechanism : $"{r.Mechanism} {r.Operation}";

    private static string I(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static string G(double v) => double.IsNaN(v) ? "" : v >= 100 ? v.ToString("N0", CultureInfo.InvariantCulture) : v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string P(double v) => (v * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%";

    private static string X(double v) => double.IsNaN(v) ? "" : v.ToString("0.000", CultureInfo.InvariantCulture) + "x";
}
