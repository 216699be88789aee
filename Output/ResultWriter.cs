using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TlbSim.Analysis;
using TlbSim.Output.Charts;

namespace TlbSim.Output;

/// <summary>What run.json records besides the results.</summary>
public sealed record RunInfo(string ToolVersion, string? GitCommit, string SourceFile, long? Seed, int Jobs, double WallSeconds, long Events, int Runs)
{
    /// <summary>"i/N" when this folder holds one shard of a sweep.</summary>
    public string? Shard { get; init; }

    /// <summary>After --resume: runs that earlier invocations had finished (the rest ran in the last one).</summary>
    public int? ResumedRuns { get; init; }

    /// <summary>After --resume: wall time of the last invocation alone (<see cref="RunInfo.WallSeconds"/> is the total).</summary>
    public double? LastWallSeconds { get; init; }
}

/// <summary>
/// Writes a run's folder. Everything goes to a temporary sibling folder first and is renamed into place
/// only when complete, so an interrupted or crashed run never leaves a folder that looks finished.
/// </summary>
public static class ResultWriter
{
    /// <summary>The hidden folder a run writes into before it is complete: ".NAME.partial" beside NAME.</summary>
    public static string PartialFolder(string outDir)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir));
        var parent = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{outDir}' has no parent folder to write into", nameof(outDir));
        return Path.Combine(parent, $".{Path.GetFileName(full)}.partial");
    }

    /// <summary>
    /// Writes every output of the run into <paramref name="partialDir"/> (which holds at most the run's journal)
    /// and renames it to <paramref name="outDir"/>, which must not exist yet. The journal is removed unless
    /// <paramref name="keepJournal"/> (shards keep it for merging).
    /// </summary>
    public static IReadOnlyList<string> Write(string partialDir, string outDir, IReadOnlyList<RunRecord> records, IReadOnlyDictionary<string, string> descriptions, string resolvedYaml, RunInfo info, bool keepJournal = false,
        IReadOnlyDictionary<(string Scenario, int Point), PrecisionTarget>? precisionTargets = null,
        IReadOnlyDictionary<string, IReadOnlyList<KeyValuePair<string, string>>>? references = null)
    {
        ArgumentNullException.ThrowIfNull(outDir);
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(info);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir));
        if (Directory.Exists(full) || File.Exists(full))
            throw new IOException($"{outDir} already exists; choose another --out or remove it");
        var temp = partialDir;
        Directory.CreateDirectory(temp);
        var summary = Aggregate.WithReference(Aggregate.Summary(records, precisionTargets), records, references ?? new Dictionary<string, IReadOnlyList<KeyValuePair<string, string>>>());
        var written = new List<string>();
        void Text(string name, string content)
        {
            File.WriteAllText(Path.Combine(temp, name), content, new UTF8Encoding(false));
            written.Add(name);
        }
        Text("summary.csv", Csv(w => CsvOutput.WriteSummary(w, summary)));
        Text("histograms.csv", Csv(w => CsvOutput.WriteHistograms(w, records)));
        Text("timeseries.csv", Csv(w => CsvOutput.WriteTimeseries(w, records)));
        foreach (var (name, bytes) in HlogOutput.Files(records))
        {
            Directory.CreateDirectory(Path.Combine(temp, HlogOutput.Folder));
            File.WriteAllBytes(Path.Combine(temp, HlogOutput.Folder, name), bytes);
            written.Add(Path.Combine(HlogOutput.Folder, name));
        }
        var figures = Figures.All(records, summary);
        foreach (var f in figures)
        {
            Text(f.FileName, f.Svg);
            File.WriteAllBytes(Path.Combine(temp, f.PngFileName), f.Chart.Png());
            written.Add(f.PngFileName);
        }
        Text("resolved.yaml", resolvedYaml);
        string runLine = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{info.Runs} runs of {Path.GetFileName(info.SourceFile)}; {info.Events:N0} events simulated in {info.WallSeconds:F1} s wall time; tlbsim {info.ToolVersion}{(info.GitCommit is null ? "" : $" ({info.GitCommit[..Math.Min(12, info.GitCommit.Length)]})")}");
        Text("report.txt", TextReport.Render($"tlbsim results: {Path.GetFileName(info.SourceFile)}", summary, descriptions, runLine));
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
            ["resumed_runs"] = info.ResumedRuns,
            ["last_invocation_wall_seconds"] = info.LastWallSeconds is { } last ? Math.Round(last, 3) : null,
            ["events_simulated"] = info.Events,
            ["events_per_second"] = info.WallSeconds > 0 ? Math.Round(info.Events / info.WallSeconds) : 0,
            ["shard"] = info.Shard,
            ["files"] = new JsonArray(written.Select(n => (JsonNode)n).ToArray()),
        };
        Text("run.json", manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        // Rename first: until the folder has its final name the journal must stay, so the run can resume.
        Directory.Move(temp, full);
        var journal = Path.Combine(full, "journal");
        if (!keepJournal && Directory.Exists(journal))
            Directory.Delete(journal, recursive: true);
        return written;
    }

    private static string Csv(Action<TextWriter> write)
    {
        var sw = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        write(sw);
        return sw.ToString();
    }
}
