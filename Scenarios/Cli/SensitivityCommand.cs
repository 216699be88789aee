using System.Globalization;
using System.Text;
using TlbSim.Analysis;
using TlbSim.Model.Parameters;
using TlbSim.Output.Charts;
using TlbSim.Scenarios.Loading;
using TlbSim.Scenarios.Running;

namespace TlbSim.Scenarios.Cli;

/// <summary>What <c>tlbsim sensitivity</c> was asked.</summary>
public sealed record SensitivityOptions
{
    /// <summary>The scenario file.</summary>
    public required string File { get; init; }

    /// <summary>The figure whose movement is measured.</summary>
    public string Metric { get; init; } = "op_latency_p99_ns";

    /// <summary>Ranged inputs to move (all of them when empty).</summary>
    public IReadOnlyList<string> Inputs { get; init; } = [];

    /// <summary>Overrides applied to every evaluation.</summary>
    public IReadOnlyList<string> Sets { get; init; } = [];

    /// <summary>Morris trajectories (0: one-at-a-time only).</summary>
    public int Morris { get; init; }

    /// <summary>Run every evaluation in full, reusing no run (to compare with the reuse, which must not change a byte).</summary>
    public bool NoReuse { get; init; }

    /// <summary>Result folder.</summary>
    public string? Out { get; init; }

    /// <summary>Runs in parallel.</summary>
    public int Jobs { get; init; } = Environment.ProcessorCount;
}

/// <summary>
/// <c>tlbsim sensitivity FILE --metric M</c>: moves each input whose value is an estimate (its declaration
/// carries a plausible range) to the low and the high end of its range, one at a time, with every other input
/// at its value, and reruns the whole file each time on the same seeds. It writes sensitivity.csv (per input,
/// point and design: the metric at the default, at low, at high, the swing, and whether the designs' ranking
/// at the point changed), a tornado chart per design and point, and, with <c>--morris R</c>, a Morris
/// screening over all ranged inputs together (R trajectories of k+1 evaluations on a 4-level grid; mu* is the
/// mean absolute elementary effect, sigma their spread: interactions or non-linearity).
/// </summary>
public static class SensitivityCommand
{
    /// <summary>Most Morris trajectories (each costs one evaluation per input moved, plus one).</summary>
    public const int MaxTrajectories = 1000;

    /// <summary>A ranged input: its key path and range as written.</summary>
    public sealed record RangedInput(string Path, string Low, string High, Type Type, string Source);

    /// <summary>Every parameter below a scenario whose declaration carries a plausible range.</summary>
    public static IReadOnlyList<RangedInput> RangedInputs()
    {
        var list = new List<RangedInput>();
        void Walk(Type type, string prefix)
        {
            foreach (var p in ParamReflection.Params(type))
            {
                string path = prefix.Length == 0 ? p.Key : $"{prefix}.{p.Key}";
                if (p.IsSection)
                    Walk(p.Type, path);
                else if (p.Declaration is { Low.Length: > 0 } d)
                    list.Add(new RangedInput(path, d.Low, d.High, p.Type, d.Source));
            }
        }
        Walk(typeof(ScenarioSettings), "");
        return list;
    }

    /// <summary>Runs the analysis; 0 on success, 2 on bad input.</summary>
    public static int Execute(SensitivityOptions options, TextWriter output, TextWriter error, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Evaluator.Metrics.TryGetValue(options.Metric, out var metric))
        {
            error.WriteLine($"--metric {options.Metric}: unknown{Suggest.DidYouMean(options.Metric, Evaluator.Metrics.Keys)}; one of {string.Join(", ", Evaluator.Metrics.Keys)}");
            return CheckAndList.BadInput;
        }
        if (options.Morris is < 0 or > MaxTrajectories)
        {
            error.WriteLine($"--morris {options.Morris}: from 0 (no screening) to {MaxTrajectories} trajectories");
            return CheckAndList.BadInput;
        }
        var all = RangedInputs();
        var unknown = options.Inputs.Where(i => all.All(r => r.Path != i)).ToList();
        if (unknown.Count > 0)
        {
            foreach (var u in unknown)
                error.WriteLine($"--input {u}: not a ranged input{Suggest.DidYouMean(u, all.Select(r => r.Path))}; tlbsim describe lists each range after 'Range (tlbsim sensitivity)'");
            return CheckAndList.BadInput;
        }
        var inputs = options.Inputs.Count == 0 ? all : all.Where(r => options.Inputs.Contains(r.Path)).ToList();
        string outDir = Path.TrimEndingDirectorySeparator(options.Out ?? Path.Combine("results", $"sensitivity-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}"));
        if (Directory.Exists(outDir) || File.Exists(outDir))
        {
            error.WriteLine($"--out {outDir}: already exists; choose another folder or remove it");
            return CheckAndList.BadInput;
        }
        IReadOnlyList<SummaryRow> baseRows;
        var cache = options.NoReuse ? null : new RunCache();
        try
        {
            baseRows = Evaluator.Evaluate(options.File, options.Sets, options.Jobs, cache: cache, cancel: cancel);
        }
        catch (ScenarioException e)
        {
            foreach (var err in e.Errors)
                error.WriteLine(err);
            return CheckAndList.BadInput;
        }
        output.WriteLine($"sensitivity of {options.Metric}: {inputs.Count} ranged input(s), {2 * inputs.Count + 1} evaluations of {options.File}{(options.Morris > 0 ? $", then a Morris screening over them with {options.Morris} trajectories ({options.Morris * (inputs.Count + 1)} evaluations)" : "")}");
        var results = new List<(RangedInput Input, IReadOnlyList<SummaryRow> Low, IReadOnlyList<SummaryRow> High)>();
        foreach (var input in inputs)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                var low = Evaluator.Evaluate(options.File, [.. options.Sets, $"{input.Path}={input.Low}"], options.Jobs, cache: cache, cancel: cancel);
                var high = Evaluator.Evaluate(options.File, [.. options.Sets, $"{input.Path}={input.High}"], options.Jobs, cache: cache, cancel: cancel);
                results.Add((input, low, high));
                output.WriteLine($"  {input.Path} {input.Low} .. {input.High}: done");
            }
            catch (ScenarioException e)
            {
                // An end of the range that this file's other settings make invalid: said, and the input left out.
                output.WriteLine($"  {input.Path} {input.Low} .. {input.High}: left out, an end is invalid here: {(e.Errors.Count > 0 ? e.Errors[0].Message : e.Message)}");
            }
        }
        var csv = new StringBuilder("input,low,high,scenario,point,mechanism,base,base_ci95,at_low,at_high,swing,effect,relative_effect,effect_exceeds_ci95,ranking_base,ranking_at_low,ranking_at_high,ranking_changes_beyond_noise\n");
        var tornadoes = new Dictionary<(string Scenario, int Point, string Mechanism), List<TornadoBar>>();
        var rankingChanges = new List<string>();
        var noiseSwaps = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (input, low, high) in results)
        {
            foreach (var point in baseRows.GroupBy(r => (r.Scenario, r.Point)))
            {
                string rankBase = Ranking(point.ToList(), metric), rankLow = Ranking(At(low, point.Key), metric), rankHigh = Ranking(At(high, point.Key), metric);
                var flips = Flips(point.ToList(), At(low, point.Key), metric).Select(f => $"{f} at {input.Low}")
                    .Concat(Flips(point.ToList(), At(high, point.Key), metric).Select(f => $"{f} at {input.High}")).ToList();
                bool changes = flips.Count > 0;
                if (changes)
                    rankingChanges.Add($"{input.Path} at {point.Key.Scenario} point {point.Key.Point}: {string.Join("; ", flips)}");
                else if (rankLow != rankBase || rankHigh != rankBase)
                    noiseSwaps.Add(input.Path);
                foreach (var row in point)
                {
                    double b = Evaluator.Value(row, metric), half = Precision.Of(row, metric).HalfWidth;
                    double l = Find(low, row) is { } lr ? Evaluator.Value(lr, metric) : double.NaN;
                    double h = Find(high, row) is { } hr ? Evaluator.Value(hr, metric) : double.NaN;
                    double swing = h - l;
                    double effect = Tornado.Effect(new TornadoBar(input.Path, l, h), b);
                    csv.Append(string.Join(",", input.Path, input.Low, input.High, row.Scenario, row.Point.ToString(CultureInfo.InvariantCulture), row.Mechanism,
                        F(b), F(half), F(l), F(h), F(swing), F(effect), F(b != 0 ? effect / Math.Abs(b) : double.NaN), double.IsFinite(half) && effect > half ? "true" : "false",
                        rankBase, rankLow, rankHigh, changes ? "true" : "false")).Append('\n');
                    if (row.Mechanism != "baseline")
                    {
                        if (!tornadoes.TryGetValue((row.Scenario, row.Point, row.Mechanism), out var bars))
                            tornadoes[(row.Scenario, row.Point, row.Mechanism)] = bars = [];
                        bars.Add(new TornadoBar($"{input.Path} ({input.Low}..{input.High})", l, h));
                    }
                }
            }
        }
        var files = new OutputFiles();
        files.Text("sensitivity.csv", csv.ToString());
        foreach (var ((scenario, point, mechanism), bars) in tornadoes)
        {
            var row = baseRows.First(r => r.Scenario == scenario && r.Point == point && r.Mechanism == mechanism);
            double baseValue = Evaluator.Value(row, metric);
            var top = bars.OrderByDescending(b => Tornado.Effect(b, baseValue)).Take(15).ToList();
            var chart = new Tornado
            {
                Title = $"{mechanism}: what moves {options.Metric} ({scenario}, point {point}{PointLabel(row)})",
                Subtitle = $"each input alone at both ends of its plausible range; {top.Count} of {bars.Count} inputs, largest effect on top",
                XLabel = options.Metric,
                Base = Evaluator.Value(row, metric),
                Noise = Precision.Of(row, metric).HalfWidth,
                Bars = top,
            };
            string stem = $"tornado-{scenario}-{point}-{mechanism}";
            files.Chart(stem, chart.Svg(), chart.Png());
        }
        string morrisCsv = options.Morris > 0 ? Morris(options, inputs, metric, baseRows, output, cache, cancel) : "";
        if (options.Morris > 0)
            files.Text("morris.csv", morrisCsv);
        files.WriteTo(outDir);
        output.WriteLine();
        output.WriteLine($"largest swings of {options.Metric} (at low .. at high, against the value at the defaults):");
        foreach (var ((scenario, point, mechanism), bars) in tornadoes.OrderBy(t => t.Key.Scenario, StringComparer.Ordinal).ThenBy(t => t.Key.Point).ThenBy(t => t.Key.Mechanism, StringComparer.Ordinal))
        {
            var row = baseRows.First(r => r.Scenario == scenario && r.Point == point && r.Mechanism == mechanism);
            double at = Evaluator.Value(row, metric);
            var top = bars.OrderByDescending(b => Tornado.Effect(b, at)).Take(3).Where(b => Tornado.Effect(b, at) > 0).Select(b => $"{b.Input}: {F(b.AtLow)} .. {F(b.AtHigh)}");
            output.WriteLine($"  {scenario}/{point} {mechanism} (at defaults {F(at)}): {string.Join("; ", top.DefaultIfEmpty("nothing moves it"))}");
        }
        output.WriteLine(rankingChanges.Count == 0
            ? "the ranking of the designs never changes beyond the noise across these ranges"
            : $"the ranking of the designs changes beyond the noise in {rankingChanges.Count} case(s):\n  " + string.Join("\n  ", rankingChanges));
        if (noiseSwaps.Count > 0)
            output.WriteLine($"(designs whose 95% intervals overlap swap places, which is noise, under {noiseSwaps.Count} input(s): {string.Join(", ", noiseSwaps)})");
        if (options.Morris > 0)
        {
            var morris = morrisCsv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(','))
                .Where(c => c[5] != "baseline" && double.TryParse(c[7], NumberStyles.Float, CultureInfo.InvariantCulture, out double mu) && mu > 0)
                .GroupBy(c => (c[3], c[4], c[5])).Select(g => $"  {g.Key.Item1}/{g.Key.Item2} {g.Key.Item3}: {string.Join("; ", g.Take(3).Select(c => $"{c[0]} mu* {c[7]} sigma {c[9]}"))}").ToList();
            output.WriteLine($"Morris screening (mu*: mean absolute effect of moving an input across 2/3 of its range; sigma: interactions):");
            foreach (var line in morris.DefaultIfEmpty("  no input moved any design"))
                output.WriteLine(line);
        }
        if (cache is not null)
            output.WriteLine($"{cache.Reused:N0} of {cache.Asked:N0} runs reused: the same settings as a run already done (a mechanism input its design does not read, or an input at its default)");
        output.WriteLine($"sensitivity.csv{(options.Morris > 0 ? ", morris.csv" : "")} and tornado charts in {outDir}");
        return 0;
    }

    private static string PointLabel(SummaryRow row) => row.Assignments.Count == 0 ? "" : ": " + string.Join(", ", row.Assignments.Select(a => $"{a.Key}={a.Value}"));

    private static List<SummaryRow> At(IReadOnlyList<SummaryRow> rows, (string Scenario, int Point) key) =>
        rows.Where(r => r.Scenario == key.Scenario && r.Point == key.Point).ToList();

    private static SummaryRow? Find(IReadOnlyList<SummaryRow> rows, SummaryRow like) =>
        rows.FirstOrDefault(r => r.Scenario == like.Scenario && r.Point == like.Point && r.Mechanism == like.Mechanism);

    /// <summary>The designs of a point from best (lowest) to worst, joined by "&lt;".</summary>
    private static string Ranking(IReadOnlyList<SummaryRow> rows, PrecisionMetric metric) =>
        string.Join("<", rows.Where(r => r.Mechanism != "baseline").OrderBy(r => Evaluator.Value(r, metric) is var v && double.IsFinite(v) ? v : double.MaxValue)
            .ThenBy(r => r.Mechanism, StringComparer.Ordinal).Select(r => r.Mechanism));

    /// <summary>
    /// Pairs of designs whose order at <paramref name="end"/> is the reverse of their order at the defaults,
    /// each order told apart from noise (the difference above the two 95% half-widths combined).
    /// </summary>
    private static IEnumerable<string> Flips(IReadOnlyList<SummaryRow> defaults, IReadOnlyList<SummaryRow> end, PrecisionMetric metric)
    {
        int Order(IReadOnlyList<SummaryRow> rows, string x, string y)
        {
            if (rows.FirstOrDefault(r => r.Mechanism == x) is not { } a || rows.FirstOrDefault(r => r.Mechanism == y) is not { } b)
                return 0;
            var (av, ah) = Precision.Of(a, metric);
            var (bv, bh) = Precision.Of(b, metric);
            double half = Math.Sqrt((double.IsFinite(ah) ? ah * ah : double.PositiveInfinity) + (double.IsFinite(bh) ? bh * bh : double.PositiveInfinity));
            return double.IsFinite(av - bv) && Math.Abs(av - bv) > half ? Math.Sign(av - bv) : 0;
        }
        var names = defaults.Where(r => r.Mechanism != "baseline").Select(r => r.Mechanism).ToList();
        for (int i = 0; i < names.Count; i++)
        {
            for (int j = i + 1; j < names.Count; j++)
            {
                int before = Order(defaults, names[i], names[j]), after = Order(end, names[i], names[j]);
                if (before != 0 && after == -before)
                    yield return $"{(after < 0 ? names[i] : names[j])} now below {(after < 0 ? names[j] : names[i])}";
            }
        }
    }

    /// <summary>A figure to six significant digits; rounding noise (below 1e-9) prints as 0.</summary>
    private static string F(double v) => !double.IsFinite(v) ? "" : Math.Abs(v) < 1e-9 ? "0" : v.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>
    /// Morris screening (Morris 1991; Campolongo et al. 2007's mu*): R trajectories on a 4-level grid over
    /// every ranged input scaled to [low, high], each moving one input at a time by 2/3 of its range.
    /// </summary>
    private static string Morris(SensitivityOptions options, IReadOnlyList<RangedInput> inputs, PrecisionMetric metric, IReadOnlyList<SummaryRow> baseRows, TextWriter output, RunCache? cache, CancellationToken cancel)
    {
        const double delta = 2.0 / 3;
        var random = new Random(1);
        var effects = new Dictionary<(string Input, string Scenario, int Point, string Mechanism), List<double>>();
        for (int t = 0; t < options.Morris; t++)
        {
            var x = inputs.Select(_ => random.Next(2) / 3.0).ToArray(); // 0 or 1/3: the step stays inside [0, 1]
            var order = Enumerable.Range(0, inputs.Count).OrderBy(_ => random.Next()).ToList();
            var previous = Evaluator.Evaluate(options.File, [.. options.Sets, .. Sets(inputs, x)], options.Jobs, cache: cache, cancel: cancel);
            foreach (int i in order)
            {
                cancel.ThrowIfCancellationRequested();
                x[i] += delta;
                var next = Evaluator.Evaluate(options.File, [.. options.Sets, .. Sets(inputs, x)], options.Jobs, cache: cache, cancel: cancel);
                foreach (var row in next)
                {
                    if (Find(previous, row) is not { } before)
                        continue;
                    double effect = (Evaluator.Value(row, metric) - Evaluator.Value(before, metric)) / delta;
                    if (!double.IsFinite(effect))
                        continue;
                    var key = (inputs[i].Path, row.Scenario, row.Point, row.Mechanism);
                    if (!effects.TryGetValue(key, out var list))
                        effects[key] = list = [];
                    list.Add(effect);
                }
                previous = next;
            }
            output.WriteLine($"  Morris trajectory {t + 1} of {options.Morris}: done");
        }
        var csv = new StringBuilder("input,low,high,scenario,point,mechanism,trajectories,mu_star,mu,sigma,base\n");
        foreach (var ((input, scenario, point, mechanism), list) in effects.OrderBy(e => e.Key.Scenario, StringComparer.Ordinal).ThenBy(e => e.Key.Point)
                     .ThenBy(e => e.Key.Mechanism, StringComparer.Ordinal).ThenByDescending(e => e.Value.Average(Math.Abs)))
        {
            var r = inputs.First(i => i.Path == input);
            double mean = list.Average();
            double sigma = list.Count > 1 ? Math.Sqrt(list.Sum(e => (e - mean) * (e - mean)) / (list.Count - 1)) : double.NaN;
            var baseRow = baseRows.FirstOrDefault(b => b.Scenario == scenario && b.Point == point && b.Mechanism == mechanism);
            csv.Append(string.Join(",", input, r.Low, r.High, scenario, point.ToString(CultureInfo.InvariantCulture), mechanism, list.Count.ToString(CultureInfo.InvariantCulture),
                F(list.Average(Math.Abs)), F(mean), F(sigma), baseRow is null ? "" : F(Evaluator.Value(baseRow, metric)))).Append('\n');
        }
        return csv.ToString();
    }

    /// <summary>--set assignments placing every input at its grid level (0 = low, 1 = high), interpolated in the input's own unit.</summary>
    private static IEnumerable<string> Sets(IReadOnlyList<RangedInput> inputs, double[] levels)
    {
        for (int i = 0; i < inputs.Count; i++)
        {
            var r = inputs[i];
            var lo = ParamReflection.Convert(r.Low, r.Type, out _);
            var hi = ParamReflection.Convert(r.High, r.Type, out _);
            double u = Math.Clamp(levels[i], 0, 1);
            string value = (lo, hi) switch
            {
                (Model.Units.Duration a, Model.Units.Duration b) => new Model.Units.Duration((long)Math.Round(a.Picoseconds + u * (b.Picoseconds - a.Picoseconds))).ToString(),
                (int a, int b) => ((int)Math.Round(a + u * (b - a))).ToString(CultureInfo.InvariantCulture),
                (double a, double b) => (a + u * (b - a)).ToString("R", CultureInfo.InvariantCulture),
                _ => u < 0.5 ? r.Low : r.High,
            };
            yield return $"{r.Path}={value}";
        }
    }
}
