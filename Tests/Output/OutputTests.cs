using System.Globalization;
using TlbSim.Scenarios;
using TlbSim.Tests.Scenarios;
using Xunit;

namespace TlbSim.Tests.Output;

/// <summary>
/// Are results reproducible to the byte (any job count, any culture), do the CSV writers produce exactly the
/// committed golden files for a small fixed scenario, and are the charts real images (SVG that parses, PNG
/// that decodes to the chart's size and is not blank)? Chart pixels depend on the fonts installed, so charts
/// are checked for what they must hold, not against golden bytes.
/// Set TLBSIM_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change, and review the diff.
/// </summary>
[Collection(ProcessWideCulture.Name)]
public class OutputTests
{
    private static readonly string[] GoldenFiles = ["summary.csv", "histograms.csv", "timeseries.csv"];

    private static string Scenario => Path.Combine(ScenarioLoaderTests.RepoRoot(), "Tests", "Output", "golden.yaml");

    private static string Run(int jobs, string? culture = null)
    {
        string outDir = Path.Combine(Directory.CreateTempSubdirectory("tlbsim-out").FullName, "result");
        var saved = (CultureInfo.CurrentCulture, CultureInfo.DefaultThreadCurrentCulture);
        try
        {
            if (culture is not null)
            {
                CultureInfo.CurrentCulture = new CultureInfo(culture);
                CultureInfo.DefaultThreadCurrentCulture = new CultureInfo(culture);
            }
            var output = new StringWriter();
            var error = new StringWriter();
            int code = TlbsimCli.Run(["run", Scenario, "--out", outDir, "--jobs", jobs.ToString(CultureInfo.InvariantCulture), "--quiet", "--check"], output, error);
            Assert.True(code == 0, error.ToString());
        }
        finally
        {
            CultureInfo.CurrentCulture = saved.CurrentCulture;
            CultureInfo.DefaultThreadCurrentCulture = saved.DefaultThreadCurrentCulture;
        }
        return outDir;
    }

    [Fact]
    public void The_same_scenario_and_seed_give_byte_identical_CSV_with_1_or_4_jobs_and_under_a_comma_decimal_culture()
    {
        var serial = Run(1);
        var parallel = Run(4);
        var german = Run(2, "de-DE");
        foreach (var file in new[] { "summary.csv", "histograms.csv", "timeseries.csv" })
        {
            var expected = File.ReadAllBytes(Path.Combine(serial, file));
            Assert.Equal(expected, File.ReadAllBytes(Path.Combine(parallel, file)));
            Assert.Equal(expected, File.ReadAllBytes(Path.Combine(german, file)));
        }
        Assert.DoesNotContain(",5", File.ReadAllText(Path.Combine(german, "summary.csv")).Split('\n')[1].Split(',').Skip(6).Take(1).Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_CSV_and_chart_writers_reproduce_the_golden_files()
    {
        var dir = Run(2);
        string golden = Path.Combine(ScenarioLoaderTests.RepoRoot(), "Tests", "Output", "Golden");
        bool update = Environment.GetEnvironmentVariable("TLBSIM_UPDATE_GOLDEN") == "1";
        foreach (var file in GoldenFiles)
        {
            var actual = File.ReadAllText(Path.Combine(dir, file));
            var path = Path.Combine(golden, file);
            if (update)
                File.WriteAllText(path, actual);
            Assert.True(File.Exists(path), $"{file}: no golden copy; run with TLBSIM_UPDATE_GOLDEN=1");
            Assert.Equal(File.ReadAllText(path), actual);
        }
    }

    [Fact]
    public void Every_chart_is_an_SVG_that_parses_and_a_PNG_of_the_chart_s_size_that_is_not_blank()
    {
        var dir = Run(2);
        var svgs = Directory.GetFiles(dir, "*.svg");
        Assert.Contains(svgs, f => Path.GetFileName(f).StartsWith("percentiles_vs_cpus_", StringComparison.Ordinal));
        Assert.Contains(svgs, f => Path.GetFileName(f).StartsWith("slowdown_vs_cpus_", StringComparison.Ordinal));
        Assert.Contains(svgs, f => Path.GetFileName(f).StartsWith("cdf_golden_p1", StringComparison.Ordinal)); // one per sweep point
        foreach (var svg in svgs)
        {
            var xml = System.Xml.Linq.XDocument.Load(svg);
            Assert.Equal("svg", xml.Root!.Name.LocalName);
            string png = Path.ChangeExtension(svg, ".png");
            Assert.True(File.Exists(png), $"{Path.GetFileName(png)} is missing beside its SVG");
            using var bitmap = SkiaSharp.SKBitmap.Decode(png);
            Assert.NotNull(bitmap);
            Assert.Equal(TlbSim.Output.Charts.Chart.Width, bitmap.Width);
            Assert.Equal(TlbSim.Output.Charts.Chart.Height, bitmap.Height);
            var colours = new HashSet<uint>();
            for (int y = 0; y < bitmap.Height; y += 7)
            {
                for (int x = 0; x < bitmap.Width; x += 7)
                    colours.Add((uint)bitmap.GetPixel(x, y));
            }
            Assert.True(colours.Count > 5, $"{Path.GetFileName(png)} looks blank ({colours.Count} colours)");
        }
    }

    [Fact]
    public void Every_point_mechanism_and_kind_has_an_HdrHistogram_log_that_HdrHistogram_reads_back_with_every_operation()
    {
        var dir = Run(2);
        var summary = File.ReadAllLines(Path.Combine(dir, "summary.csv"));
        var header = summary[0].Split(',');
        int scenario = Array.IndexOf(header, "scenario"), point = Array.IndexOf(header, "point"), mechanism = Array.IndexOf(header, "mechanism"),
            operation = Array.IndexOf(header, "operation"), ops = Array.IndexOf(header, "ops"), reps = Array.IndexOf(header, "replications");
        foreach (var row in summary.Skip(1).Select(l => l.Split(',')))
        {
            string path = Path.Combine(dir, "hlog", $"{row[scenario]}_p{row[point]}_{row[mechanism]}_{row[operation]}.hlog");
            Assert.True(File.Exists(path), path);
            using var stream = File.OpenRead(path);
            using var reader = new HdrHistogram.HistogramLogReader(stream);
            var intervals = reader.ReadHistograms().ToList();
            Assert.Equal(int.Parse(row[reps], CultureInfo.InvariantCulture), intervals.Count);
            Assert.Equal(long.Parse(row[ops], CultureInfo.InvariantCulture), intervals.Sum(h => h.TotalCount));
        }
    }

    [Fact]
    public void A_result_folder_holds_every_output_and_the_report_embeds_every_chart()
    {
        var dir = Run(2);
        foreach (var file in new[] { "summary.csv", "histograms.csv", "timeseries.csv", "report.html", "report.txt", "resolved.yaml", "run.json" })
            Assert.True(File.Exists(Path.Combine(dir, file)), file);
        // report.txt pastes into a mail: every line under 80 columns, every design named.
        var text = File.ReadAllLines(Path.Combine(dir, "report.txt"));
        Assert.All(text, l => Assert.True(l.Length < 80, $"report.txt line of {l.Length} columns: {l}"));
        Assert.Contains(text, l => l.Contains("rare_alloc", StringComparison.Ordinal) && l.Contains('±', StringComparison.Ordinal));
        var report = File.ReadAllText(Path.Combine(dir, "report.html"));
        foreach (var svg in Directory.GetFiles(dir, "*.svg"))
            Assert.Contains(Path.GetFileName(svg), report, StringComparison.Ordinal);
        // XML namespace names (www.w3.org) are identifiers, not fetches; nothing else may point to the network.
        Assert.DoesNotContain("http://", System.Text.RegularExpressions.Regex.Replace(report, "http://www\\.w3\\.org/[0-9]{4}/(svg|xlink)", ""), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", report, StringComparison.Ordinal);
        var header = File.ReadLines(Path.Combine(dir, "summary.csv")).First();
        foreach (var column in new[] { "scenario", "mechanism", "cpus", "replications", "ops", "op_latency_p50_ns", "op_latency_p90_ns", "op_latency_p99_ns",
            "op_latency_p999_ns", "op_latency_max_ns", "op_latency_mean_ns", "op_latency_mean_ci95_ns", "ipis_per_s", "shootdowns_per_s", "full_flushes_per_s",
            "tlb_misses_per_s", "walk_time_share", "irq_time_share", "workload_slowdown", "direct_map_1g", "direct_map_2m", "direct_map_4k", "machine.cpus" })
            Assert.Contains(column, header.Split(','));
        // The resolved file runs again and gives the same summary.
        string again = Path.Combine(Directory.CreateTempSubdirectory("tlbsim-again").FullName, "r");
        Assert.Equal(0, TlbsimCli.Run(["run", Path.Combine(dir, "resolved.yaml"), "--out", again, "--quiet", "--jobs", "2"], new StringWriter(), new StringWriter()));
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "summary.csv")), File.ReadAllText(Path.Combine(again, "summary.csv")));
    }

    [Fact]
    public void An_out_folder_given_with_a_trailing_slash_is_written_where_asked()
    {
        string dir = Path.Combine(Directory.CreateTempSubdirectory("tlbsim-slash").FullName, "r") + Path.DirectorySeparatorChar;
        Assert.Equal(0, TlbsimCli.Run(["run", Scenario, "--out", dir, "--quiet", "--jobs", "2", "--set", "duration=1ms"], new StringWriter(), new StringWriter()));
        Assert.True(File.Exists(Path.Combine(dir, "summary.csv")));
        Assert.Equal(2, TlbsimCli.Run(["run", Scenario, "--out", "/", "--quiet"], new StringWriter(), new StringWriter()));
    }

    [Fact]
    public void An_out_folder_that_exists_or_cannot_be_written_is_bad_input()
    {
        var existing = Directory.CreateTempSubdirectory("tlbsim-exists").FullName;
        var error = new StringWriter();
        Assert.Equal(2, TlbsimCli.Run(["run", Scenario, "--out", existing, "--quiet"], new StringWriter(), error));
        Assert.Contains("already exists", error.ToString(), StringComparison.Ordinal);
        var file = Path.Combine(existing, "a-file");
        File.WriteAllText(file, "");
        Assert.Equal(2, TlbsimCli.Run(["run", Scenario, "--out", Path.Combine(file, "sub"), "--quiet"], new StringWriter(), new StringWriter()));
    }
}
