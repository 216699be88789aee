using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TlbSim.Analysis;
using TlbSim.Output.Charts;

namespace TlbSim.Output;

/// <summary>What run.json records besides the results.</summary>
public sealed record RunInfo(string ToolVersion, string? GitCommit, string SourceFile, long? Seed, int Jobs, double WallSeconds, long Events, int Runs);

/// <summary>
/// Writes a run's folder. Everything goes to a temporary sibling folder first and is renamed into place
/// only when complete, so an interrupted or crashed run never leaves a folder that looks finished.
/// </summary>
public static class ResultWriter
{
    /// <summary>The files written, in order (run.json last: its presence marks a complete folder).</summary>
    public static readonly string[] DataFiles = ["summary.csv", "histograms.csv", "timeseries.csv"];

    /// <summary>Writes every output of the run to <paramref name="outDir"/>, which must not exist yet.</summary>
    public static IReadOnlyList<string> Write(string outDir, IReadOnlyList<RunRecord> records, IReadOnlyDictionary<string, string> descriptions, string resolvedYaml, RunInfo info)
    {
        ArgumentNullException.ThrowIfNull(outDir);
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(info);
        var full = Path.GetFullPath(outDir);
        if (Directory.Exists(full) || File.Exists(full))
            throw new IOException($"{outDir} already exists; choose another --out or remove it");
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(full)}.partial-{Environment.ProcessId}");
        if (Directory.Exists(temp))
            Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        try
        {
            var summary = Aggregate.Summary(records);
            var written = new List<string>();
            void Text(string name, string content)
            {
                File.WriteAllText(Path.Combine(temp, name), content, new UTF8Encoding(false));
                written.Add(name);
            }
            Text("summary.csv", Csv(w => CsvOutput.WriteSummary(w, summary)));
            Text("histograms.csv", Csv(w => CsvOutput.WriteHistograms(w, records)));
            Text("timeseries.csv", Csv(w => CsvOutput.WriteTimeseries(w, records)));
            var figures = Figures.All(records, summary);
            foreach (var f in figures)
                Text(f.FileName, f.Svg);
            Text("resolved.yaml", resolvedYaml);
            string runLine = $"{info.Runs} runs of {Path.GetFileName(info.SourceFile)}; {info.Events:N0} events simulated in {info.WallSeconds:F1} s wall time; tlbsim {info.ToolVersion}{(info.GitCommit is null ? "" : $" ({info.GitCommit[..Math.Min(12, info.GitCommit.Length)]})")}";
            Text("report.html", HtmlReport.Render($"tlbsim results: {Path.GetFileName(info.SourceFile)}", figures, summary, descriptions, resolvedYaml, runLine));
            var manifest = new JsonObject
            {
                ["tool"] = "tlbsim",
                ["version"] = info.ToolVersion,
                ["git_commit"] = info.GitCommit,
                ["source"] = info.SourceFile,
                ["seed_override"] = info.Seed,
                ["jobs"] = info.Jobs,
                ["runs"] = info.Runs,
                ["wall_seconds"] = Math.Round(info.WallSeconds, 3),
                ["events_simulated"] = info.Events,
                ["events_per_second"] = info.WallSeconds > 0 ? Math.Round(info.Events / info.WallSeconds) : 0,
                ["files"] = new JsonArray(written.Select(n => (JsonNode)n).ToArray()),
            };
            Text("run.json", manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            Directory.Move(temp, full);
            return written;
        }
        catch
        {
            Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    private static string Csv(Action<TextWriter> write)
    {
        var sw = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        write(sw);
        return sw.ToString();
    }
}
