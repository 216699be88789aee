using System.Diagnostics;
using System.Text.Json;
using TlbSim.Output;
using TlbSim.Scenarios.Loading;
using TlbSim.Scenarios.Running;

namespace TlbSim.Scenarios.Cli;

/// <summary>
/// <c>tlbsim merge DIR... --out OUT</c>: combines the folders of <c>tlbsim run --shard i/N</c> into one result,
/// identical to the unsharded run (the same records, in plan order, through the same writers).
/// </summary>
public static class MergeCommand
{
    /// <summary>Merges; 0 on success, 2 when the shards are missing, incomplete or do not belong together.</summary>
    public static int Execute(IReadOnlyList<string> dirs, string outDir, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(dirs);
        var clock = Stopwatch.StartNew();
        var records = new SortedDictionary<int, (string Key, TlbSim.Analysis.RunRecord Record)>();
        ShardInfo? first = null;
        var seen = new HashSet<int>();
        var runsPerShard = new Dictionary<int, int>();
        foreach (var dir in dirs)
        {
            var shardFile = Path.Combine(dir, Journal.Folder, "shard.json");
            if (!File.Exists(shardFile))
            {
                error.WriteLine($"{dir}: not a shard folder (no {Path.Combine(Journal.Folder, "shard.json")}); make shards with 'tlbsim run --shard i/N'");
                return CheckAndList.BadInput;
            }
            var info = JsonSerializer.Deserialize<ShardInfo>(File.ReadAllText(shardFile))!;
            first ??= info;
            runsPerShard[info.Index] = info.Runs;
            if (info.Count != first.Count || info.PlanId != first.PlanId)
            {
                error.WriteLine($"{dir}: shard {info.Index}/{info.Count} (plan {info.PlanId}) does not belong with {first.Index}/{first.Count} (plan {first.PlanId}): the same scenario file and options are needed");
                return CheckAndList.BadInput;
            }
            if (!seen.Add(info.Index))
            {
                error.WriteLine($"{dir}: shard {info.Index}/{info.Count} given twice");
                return CheckAndList.BadInput;
            }
            foreach (var (order, key, record) in Journal.Load(Path.Combine(dir, Journal.Folder)))
                records[order] = (key, record);
        }
        if (first is null)
        {
            error.WriteLine("merge: give the shard folders to merge");
            return CheckAndList.BadInput;
        }
        var missingShards = Enumerable.Range(0, first.Count).Where(i => !seen.Contains(i)).ToList();
        int expected = runsPerShard.Values.Sum();
        if (missingShards.Count > 0 || records.Count != expected)
        {
            error.WriteLine($"merge: incomplete: missing shards {string.Join(", ", missingShards.Select(i => $"{i}/{first.Count}"))}; {expected - records.Count} of {expected} runs missing");
            return CheckAndList.BadInput;
        }
        if (Directory.Exists(outDir) || File.Exists(outDir) || Directory.Exists(ResultWriter.PartialFolder(outDir)))
        {
            error.WriteLine($"--out {outDir}: already exists; choose another folder or remove it");
            return CheckAndList.BadInput;
        }
        string resolved = File.ReadAllText(Path.Combine(dirs[0], "resolved.yaml"));
        var file = ScenarioLoader.Parse(resolved, Path.Combine(dirs[0], "resolved.yaml"));
        var descriptions = file.Scenarios.ToDictionary(s => s.Name, s => s.Points[0].Settings.Description);
        var all = records.OrderBy(kv => kv.Key).Select(kv => kv.Value.Record).ToArray(); // canonical order, as one unsharded run writes it
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(dirs[0], "run.json"))).RootElement;
        var info2 = new RunInfo(manifest.GetProperty("version").GetString() ?? "", manifest.GetProperty("git_commit").GetString(), manifest.GetProperty("source").GetString() ?? "",
            null, 1, clock.Elapsed.TotalSeconds, all.Sum(r => r.Outcome.Events), all.Length);
        ResultWriter.Write(ResultWriter.PartialFolder(outDir), outDir, all, descriptions, resolved, info2, precisionTargets: RunCommand.PrecisionTargets(file), references: RunCommand.References(file));
        output.WriteLine($"merged {dirs.Count} shards, {all.Length} runs; results in {outDir}");
        return 0;
    }
}
