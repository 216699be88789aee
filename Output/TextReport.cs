using System.Globalization;
using System.Text;
using TlbSim.Analysis;

namespace TlbSim.Output;

/// <summary>
/// report.txt: the results as plain-text tables under 80 columns, in the style of a patch cover letter:
/// per scenario, each point and design with its latency percentiles (and 95% intervals), and what the
/// workload loses. Figures the data cannot support are bracketed, as in the console table.
/// </summary>
public static class TextReport
{
    /// <summary>Widest line written.</summary>
    public const int Width = 79;

    /// <summary>The report for <paramref name="rows"/>.</summary>
    public static string Render(string title, IReadOnlyList<SummaryRow> rows, IReadOnlyDictionary<string, string> descriptions, string runLine)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(descriptions);
        var sb = new StringBuilder();
        foreach (var line in Wrap(title))
            sb.Append(line).Append('\n');
        foreach (var line in Wrap(runLine))
            sb.Append(line).Append('\n');
        sb.Append('\n');
        foreach (var line in Wrap("Latency of one operation on the CPU that performs it, in microseconds, p50 and p99 with the half-width of their 95% interval over replications; [...] marks a percentile with fewer than 10 operations above it in some replication. \"loss\" is the workload's slowdown against baseline at the same point (1.05: 5% slower)."))
            sb.Append(line).Append('\n');
        foreach (var scenario in rows.Select(r => r.Scenario).Distinct())
        {
            sb.Append('\n').Append(scenario).Append('\n').Append(new string('=', Math.Min(Width, scenario.Length))).Append('\n');
            if (descriptions.TryGetValue(scenario, out var d) && d.Length > 0)
            {
                foreach (var line in Wrap(d))
                    sb.Append(line).Append('\n');
            }
            var keys = rows.Where(r => r.Scenario == scenario).SelectMany(r => r.Assignments.Select(a => a.Key)).Where(k => k != "machine.cpus").Distinct().ToList();
            if (keys.Count > 0)
            {
                foreach (var line in Wrap($"point: the values of {string.Join(", ", keys)}"))
                    sb.Append(line).Append('\n');
            }
            sb.Append('\n');
            sb.Append(Row("point", "design", "CPUs", "p50 us", "p99 us", "loss")).Append('\n');
            sb.Append(Row(new string('-', 18), new string('-', 16), "----", new string('-', 11), new string('-', 11), new string('-', 9))).Append('\n');
            foreach (var r in rows.Where(r => r.Scenario == scenario))
            {
                string point = r.Assignments.Count == 0 ? "-" : string.Join(" ", r.Assignments.Where(a => a.Key != "machine.cpus").Select(a => a.Value).DefaultIfEmpty("-"));
                string design = r.Operation == "op" ? r.Mechanism : $"{r.Mechanism} {r.Operation}";
                sb.Append(Row(Cut(point, 18), Cut(design, 16), r.Cpus.ToString(CultureInfo.InvariantCulture),
                    Us(r.P50Ns, r.P50Ci95Ns, r.P50Ok), Us(r.P99Ns, r.P99Ci95Ns, r.P99Ok), Loss(r.WorkloadSlowdown, r.WorkloadSlowdownCi95))).Append('\n');
            }
            var loops = rows.Where(r => r.Scenario == scenario && r.LoopsPerSPerThread > 0).ToList();
            if (loops.Count > 0)
            {
                // Closed-loop syscall benchmarks: their result is the loop rate, not an operation latency.
                sb.Append('\n').Append(string.Create(CultureInfo.InvariantCulture, $"{"point",-18} {"design",-14} {"CPUs",4} {"ns/loop",9} {"loops/s/thr",11} {"TLB inv.",8} {"locks",6}")).Append('\n');
                foreach (var r in loops)
                {
                    string point = r.Assignments.Count == 0 ? "-" : string.Join(" ", r.Assignments.Where(a => a.Key != "machine.cpus").Select(a => a.Value).DefaultIfEmpty("-"));
                    sb.Append(string.Create(CultureInfo.InvariantCulture,
                        $"{Cut(point, 18),-18} {Cut(r.Mechanism, 14),-14} {r.Cpus,4} {r.NsPerLoop,9:0} {r.LoopsPerSPerThread,11:N0} {r.TlbInvalidationShare * 100,7:0.0}% {r.LockTimeShare * 100,5:0.0}%")).Append('\n');
                }
                foreach (var line in Wrap("TLB inv.: share of CPU time in TLB invalidation (local flushes, IPI sends and waits, handlers with their interrupt entry); locks: share waiting for contended kernel locks."))
                    sb.Append(line).Append('\n');
            }
        }
        return sb.ToString();
    }

    private static string Row(string point, string design, string cpus, string p50, string p99, string loss) =>
        string.Create(CultureInfo.InvariantCulture, $"{point,-18} {design,-16} {cpus,4} {p50,11} {p99,11} {loss,9}").TrimEnd();

    private static string Cut(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "~";

    private static string Us(double ns, double ci, bool ok)
    {
        if (double.IsNaN(ns))
            return "-";
        string text = Fixed(ns / 1000) + (double.IsFinite(ci) && ci > 0 ? "±" + Fixed(ci / 1000) : "");
        return ok ? text : $"[{text}]";
    }

    private static string Fixed(double us) => us >= 100 ? us.ToString("0", CultureInfo.InvariantCulture)
        : us >= 10 ? us.ToString("0.#", CultureInfo.InvariantCulture) : us.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Loss(double x, double ci) => double.IsNaN(x) ? "" :
        x.ToString("0.000", CultureInfo.InvariantCulture) + (double.IsFinite(ci) && ci >= 0.0005 ? "±" + ci.ToString("0.000", CultureInfo.InvariantCulture)[1..] : "");

    private static IEnumerable<string> Wrap(string text)
    {
        var line = new StringBuilder();
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > Width)
            {
                yield return line.ToString();
                line.Clear();
            }
            if (line.Length > 0)
                line.Append(' ');
            line.Append(word);
        }
        if (line.Length > 0)
            yield return line.ToString();
    }
}
