using System.Globalization;
using System.Text;
using TlbSim.Analysis;
using TlbSim.Output.Charts;
using TlbSim.Scenarios.Loading;
using TlbSim.Scenarios.Running;

namespace TlbSim.Scenarios.Cli;

/// <summary>
/// <c>tlbsim crossover FILE</c>: for every scenario with a <c>crossover</c> question, finds where design a
/// and design b (or a budget) cross on the metric along one parameter. It probes both ends of the range,
/// then bisects the bracket whose ends disagree (geometrically for machine.cpus, which scales by factors).
/// At every probe, replications double (up to the cap) until the difference a - b is told apart from zero:
/// |a - b| above the combined 95% half-widths of a and b. A probe that cannot be told apart at the cap is
/// reported as a tie: the crossing lies within the bracket around it. Results: crossover.csv (every probe)
/// and a chart per scenario.
/// </summary>
public static class CrossoverCommand
{
    /// <summary>One probe: the parameter's value, its replications and the two values with their half-widths.</summary>
    public sealed record Probe(double X, int Replications, double A, double AHalf, double B, double BHalf)
    {
        /// <summary>a - b.</summary>
        public double Difference => A - B;

        /// <summary>Half-width of the difference (a and b intervals combined in quadrature).</summary>
        public double Half => Math.Sqrt((double.IsFinite(AHalf) ? AHalf * AHalf : 0) + (double.IsFinite(BHalf) ? BHalf * BHalf : 0));

        /// <summary>+1 when a is above b beyond the noise, -1 below, 0 when they cannot be told apart.</summary>
        public int Sign => !double.IsFinite(Difference) ? 0 : Math.Abs(Difference) > Half ? Math.Sign(Difference) : 0;
    }

    /// <summary>Answers every crossover question of the file; 0 on success, 2 on bad input.</summary>
    public static int Execute(string path, IReadOnlyList<string> sets, string? outDir, int jobs, TextWriter output, TextWriter error, CancellationToken cancel = default)
    {
        ScenarioFile file;
        try
        {
            file = ScenarioLoader.Load(path, sets);
        }
        catch (ScenarioException e)
        {
            foreach (var err in e.Errors)
                error.WriteLine(err);
            return CheckAndList.BadInput;
        }
        var questions = file.Scenarios.Where(s => s.Points[0].Settings.Crossover.A.Length > 0).ToList();
        if (questions.Count == 0)
        {
            error.WriteLine($"{path}: no scenario asks a crossover question (crossover: {{a, b, metric, along, from, to}})");
            return CheckAndList.BadInput;
        }
        outDir = Path.TrimEndingDirectorySeparator(outDir ?? Path.Combine("results", $"crossover-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}"));
        if (Directory.Exists(outDir) || File.Exists(outDir))
        {
            error.WriteLine($"--out {outDir}: already exists; choose another folder or remove it");
            return CheckAndList.BadInput;
        }
        // Both ends of every range must give a valid scenario (machine.cpus=0 would not): checked before any run.
        var badEnds = new List<ScenarioError>();
        foreach (var scenario in questions)
        {
            var q = scenario.Points[0].Settings.Crossover;
            foreach (var end in new[] { q.From, q.To })
            {
                try
                {
                    ScenarioLoader.Load(path, [.. sets, $"{q.Along}={end}"]);
                }
                catch (ScenarioException e)
                {
                    badEnds.AddRange(e.Errors.Select(err => err with { Message = $"{err.Message} (with {q.Along} at crossover end {end} of scenario {scenario.Name})" }));
                }
            }
        }
        if (badEnds.Count > 0)
        {
            foreach (var err in badEnds.Distinct())
                error.WriteLine(err);
            return CheckAndList.BadInput;
        }
        var csv = new StringBuilder("scenario,a,b,metric,along,x,replications,a_value,a_ci95,b_value,b_ci95,difference,difference_ci95,sign\n");
        var files = new OutputFiles();
        var answers = new List<string>();
        var cache = new RunCache();
        try
        {
            Answer(path, sets, jobs, questions, csv, files, answers, output, cache, cancel);
        }
        catch (ScenarioException e)
        {
            foreach (var err in e.Errors)
                error.WriteLine(err);
            return CheckAndList.BadInput;
        }
        files.Text("crossover.csv", csv.ToString());
        files.WriteTo(outDir);
        foreach (var a in answers)
            output.WriteLine(a);
        output.WriteLine($"{cache.Reused:N0} of {cache.Asked:N0} runs reused (a probe's earlier replications, or settings already run)");
        output.WriteLine($"crossover.csv and charts in {outDir}");
        return 0;
    }

    private static void Answer(string path, IReadOnlyList<string> sets, int jobs, List<Scenario> questions, StringBuilder csv, OutputFiles files, List<string> answers,
        TextWriter output, RunCache cache, CancellationToken cancel)
    {
        foreach (var scenario in questions)
        {
            var settings = scenario.Points[0].Settings;
            var q = settings.Crossover;
            string metricName = ParamReflection.Snake(q.Metric.ToString());
            var type = ScenarioLoader.ResolveType(q.Along)!;
            var (from, to) = q.Range()!.Value;
            bool whole = type == typeof(int) || type == typeof(long);
            bool duration = type == typeof(Model.Units.Duration);
            bool geometric = q.Along == "machine.cpus" && from > 0;
            string X(double x) => duration ? new Model.Units.Duration((long)Math.Round(x)).ToString() : F(x);
            if (scenario.Axes.Any(a => a.Path == q.Along))
                output.WriteLine($"  {scenario.Name}: the sweep of {q.Along} is left aside: the crossover moves it");
            double step = q.Resolution > 0 ? q.Resolution
                : q.Along == "machine.cpus" ? settings.Machine.Topology.Sockets * settings.Machine.Topology.ThreadsPerCore
                : whole ? 1 : 0;
            bool budget = double.TryParse(q.B, NumberStyles.Float, CultureInfo.InvariantCulture, out double budgetValue);
            var probes = new List<Probe>();
            Probe Measure(double x)
            {
                string value = duration ? new Model.Units.Duration((long)Math.Round(x)).ToString() : x.ToString("R", CultureInfo.InvariantCulture);
                Probe? probe = null;
                for (int reps = Math.Max(2, settings.Replications); ; reps = Math.Min(q.MaxReplications, reps * 2))
                {
                    cancel.ThrowIfCancellationRequested();
                    var rows = Evaluator.Evaluate(path, [.. sets, $"{q.Along}={value}", $"replications={reps}"], jobs, [scenario.Name], cache, cancel);
                    var a = rows.First(r => r.Mechanism == q.A);
                    var (av, ah) = Precision.Of(a, q.Metric);
                    var (bv, bh) = budget ? (budgetValue, 0.0) : Precision.Of(rows.First(r => r.Mechanism == q.B), q.Metric);
                    probe = new Probe(x, reps, av, ah, bv, bh);
                    if (probe.Sign != 0 || reps >= q.MaxReplications)
                        break;
                }
                probes.Add(probe!);
                string other = budget ? $"budget {F(probe!.B)}" : $"{q.B} {F(probe!.B)} ± {F(probe.BHalf)}";
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {scenario.Name}: {q.Along}={value}: {q.A} {F(probe.A)} ± {F(probe.AHalf)}, {other} ({probe.Replications} replications)"));
                return probe;
            }
            double Snap(double x) => step > 0 && whole ? Math.Max(from, Math.Round(x / step) * step) : x;
            var lo = Measure(Snap(from));
            var hi = Measure(Snap(to));
            string answer;
            if (lo.Sign != 0 && lo.Sign == hi.Sign)
            {
                answer = $"no crossing in [{X(lo.X)}, {X(hi.X)}]: {q.A} stays {(lo.Sign > 0 ? "above" : "below")} {(budget ? $"the budget {q.B}" : q.B)} on {metricName}";
            }
            else if (lo.Sign == 0 || hi.Sign == 0)
            {
                var tie = lo.Sign == 0 ? lo : hi;
                answer = $"{q.A} and {(budget ? $"the budget {q.B}" : q.B)} cannot be told apart at {q.Along}={X(tie.X)} even with {tie.Replications} replications; the crossing, if any, is near that end";
            }
            else
            {
                string? tieNote = null;
                while (true)
                {
                    double mid = geometric ? Math.Sqrt(lo.X * hi.X) : (lo.X + hi.X) / 2;
                    mid = Snap(mid);
                    bool tight = whole ? hi.X - lo.X <= step || mid <= lo.X || mid >= hi.X : (hi.X - lo.X) <= (step > 0 ? step : 0.05) * Math.Abs(hi.X);
                    if (tight)
                        break;
                    var m = Measure(mid);
                    if (m.Sign == 0)
                    {
                        tieNote = $"; at {X(m.X)} the two cannot be told apart with {m.Replications} replications";
                        break;
                    }
                    if (m.Sign == lo.Sign)
                        lo = m;
                    else
                        hi = m;
                }
                answer = $"{q.A} and {(budget ? $"the budget {q.B}" : q.B)} cross on {metricName} between {q.Along}={X(lo.X)} ({q.A} {(lo.Sign > 0 ? "above" : "below")}) and {X(hi.X)} ({q.A} {(hi.Sign > 0 ? "above" : "below")}){tieNote}";
            }
            answers.Add($"{scenario.Name}: {answer}");
            foreach (var p in probes.OrderBy(p => p.X))
            {
                csv.Append(string.Join(",", scenario.Name, q.A, q.B, metricName, q.Along, X(p.X), p.Replications.ToString(CultureInfo.InvariantCulture),
                    F(p.A), F(p.AHalf), F(p.B), F(p.BHalf), F(p.Difference), F(p.Half), p.Sign.ToString(CultureInfo.InvariantCulture))).Append('\n');
            }
            var ordered = probes.OrderBy(p => p.X).ToList();
            var chart = new Chart
            {
                Title = $"{scenario.Name}: {q.A} against {(budget ? $"the budget {q.B}" : q.B)}",
                Subtitle = answer,
                XLabel = duration ? $"{q.Along} [ns]" : q.Along,
                YLabel = metricName,
                XLog = geometric || (from > 0 && to / from >= 64),
                XTicksAtValues = true,
                YLog = ordered.All(p => p.A > 0 && p.B > 0) && ordered.Max(p => Math.Max(p.A, p.B)) > 10 * ordered.Min(p => Math.Min(p.A, p.B)),
                Series =
                [
                    new Series(q.A, ordered.Select(p => (duration ? p.X / 1000 : p.X, p.A)).ToList()) { Errors = ordered.Select(p => p.AHalf).ToList() },
                    new Series(budget ? $"budget {q.B}" : q.B, ordered.Select(p => (duration ? p.X / 1000 : p.X, p.B)).ToList()) { Errors = ordered.Select(p => p.BHalf).ToList(), Dashed = budget },
                ],
            };
            files.Chart($"crossover-{scenario.Name}", chart.Svg(), chart.Png());
        }
    }

    /// <summary>A figure to six significant digits; rounding noise (below 1e-9) prints as 0.</summary>
    private static string F(double v) => !double.IsFinite(v) ? "" : Math.Abs(v) < 1e-9 ? "0" : v.ToString("G6", CultureInfo.InvariantCulture);
}
