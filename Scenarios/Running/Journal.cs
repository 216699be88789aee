using System.Text.Json;
using System.Text.Json.Nodes;
using TlbSim.Analysis;
using TlbSim.Model.Workloads;

namespace TlbSim.Scenarios.Running;

/// <summary>
/// The journal of a run in progress: one JSON file per finished run unit, written atomically, so an
/// interrupted run can resume (<c>--resume</c>) and shards can be merged (<c>tlbsim merge</c>) into results
/// identical to an uninterrupted single run. Every number round-trips exactly.
/// </summary>
public static class Journal
{
    /// <summary>Folder of the journal inside a partial or shard result folder.</summary>
    public const string Folder = "journal";

    private const string LockFile = ".writer.lock";

    /// <summary>
    /// Takes the partial folder's writer lock (an exclusive lock on a file in it, released when the process
    /// ends, however it ends), or returns null when another process holds it.
    /// </summary>
    public static IDisposable? Lock(string partialDir)
    {
        var dir = Path.Combine(partialDir, Folder);
        Directory.CreateDirectory(dir);
        try
        {
            return new FileStream(Path.Combine(dir, LockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Whether a live process holds <paramref name="partialDir"/>'s writer lock.</summary>
    public static bool Locked(string partialDir)
    {
        if (!File.Exists(Path.Combine(partialDir, Folder, LockFile)))
            return false;
        using var held = Lock(partialDir);
        return held is null;
    }

    /// <summary>Wall time spent on this result by earlier, interrupted invocations.</summary>
    public static double WallSeconds(string dir)
    {
        var path = Path.Combine(dir, "wall.txt");
        return File.Exists(path) && double.TryParse(File.ReadAllText(path), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : 0;
    }

    /// <summary>Adds an interrupted invocation's wall time.</summary>
    public static void AddWallSeconds(string dir, double seconds)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "wall.txt"), (WallSeconds(dir) + seconds).ToString("R", System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Writes the record of unit <paramref name="order"/> (to a temporary name, then renamed).</summary>
    public static void Save(string dir, int order, string key, RunRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var o = new JsonObject
        {
            ["order"] = order,
            ["key"] = key,
            ["scenario"] = record.Scenario,
            ["point"] = record.Point,
            ["assignments"] = new JsonArray(record.Assignments.Select(a => (JsonNode)new JsonArray(a.Key, a.Value)).ToArray()),
            ["mechanism"] = record.Mechanism,
            ["replication"] = record.Replication,
            ["operation_rate"] = record.OperationRate,
            ["outcome"] = JsonSerializer.SerializeToNode(record.Outcome),
            ["latencies"] = new JsonArray(record.Latencies.Select(l => (JsonNode)new JsonObject
            {
                ["kind"] = l.Kind,
                ["count"] = l.Histogram.Count,
                ["min"] = l.Histogram.Min,
                ["max"] = l.Histogram.Max,
                ["sum"] = l.Histogram.Sum,
                ["buckets"] = new JsonArray(l.Histogram.Buckets().Select(b => (JsonNode)new JsonArray(b.Value, b.Count)).ToArray()),
            }).ToArray()),
            ["series"] = new JsonArray(record.Series.Select(s => (JsonNode)new JsonArray(s.Key.Time, s.Key.Metric, s.Value)).ToArray()),
        };
        string path = Path.Combine(dir, $"{order:D6}.json");
        File.WriteAllText(path + ".tmp", o.ToJsonString());
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>Every complete record in <paramref name="dir"/>: order, unit key, record.</summary>
    public static IReadOnlyList<(int Order, string Key, RunRecord Record)> Load(string dir)
    {
        var list = new List<(int, string, RunRecord)>();
        if (!Directory.Exists(dir))
            return list;
        foreach (var path in Directory.GetFiles(dir, "*.json").Where(p => Path.GetFileNameWithoutExtension(p).All(char.IsAsciiDigit)).Order(StringComparer.Ordinal))
        {
            JsonObject o;
            try
            {
                o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            }
            catch (JsonException)
            {
                continue; // a torn write: that run is simply run again
            }
            var latencies = o["latencies"]!.AsArray().Select(n =>
            {
                var lat = n!.AsObject();
                return new OperationLatency(lat["kind"]!.GetValue<string>(), LatencyHistogram.FromBuckets(
                    lat["buckets"]!.AsArray().Select(b => (b![0]!.GetValue<long>(), b[1]!.GetValue<long>())),
                    lat["count"]!.GetValue<long>(), lat["min"]!.GetValue<long>(), lat["max"]!.GetValue<long>(), lat["sum"]!.GetValue<double>()));
            }).ToArray();
            var series = new SortedDictionary<(long Time, string Metric), double>(RunRecord.SeriesOrder);
            foreach (var s in o["series"]!.AsArray())
                series[(s![0]!.GetValue<long>(), s[1]!.GetValue<string>())] = s[2]!.GetValue<double>();
            var record = new RunRecord
            {
                Scenario = o["scenario"]!.GetValue<string>(),
                Point = o["point"]!.GetValue<int>(),
                Assignments = o["assignments"]!.AsArray().Select(a => new KeyValuePair<string, string>(a![0]!.GetValue<string>(), a[1]!.GetValue<string>())).ToArray(),
                Mechanism = o["mechanism"]!.GetValue<string>(),
                Replication = o["replication"]!.GetValue<int>(),
                OperationRate = o["operation_rate"]!.GetValue<double>(),
                Outcome = o["outcome"].Deserialize<RunOutcome>()!,
                Latencies = latencies,
                Series = series,
            };
            list.Add((o["order"]!.GetValue<int>(), o["key"]!.GetValue<string>(), record));
        }
        return list;
    }
}
