using HdrHistogram;
using TlbSim.Analysis;

namespace TlbSim.Output;

/// <summary>
/// hlog/: one HdrHistogram interval log per scenario, sweep point, mechanism and kind of operation, with one
/// interval per replication (its latencies in picoseconds; interval r starts at r seconds), so HdrHistogram's
/// own tools (HistogramLogProcessor, the plotter) read tlbsim's distributions directly.
/// </summary>
public static class HlogOutput
{
    /// <summary>The folder inside a result.</summary>
    public const string Folder = "hlog";

    /// <summary>File name and bytes of every log, in a fixed order.</summary>
    public static IEnumerable<(string Name, byte[] Bytes)> Files(IReadOnlyList<RunRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        foreach (var group in Aggregate.Groups(records))
        {
            var reps = group.OrderBy(r => r.Replication).ToList();
            for (int k = 0; k < reps[0].Latencies.Count; k++)
            {
                var histograms = new List<HistogramBase>();
                foreach (var r in reps)
                {
                    var h = r.Latencies[k].Histogram.Hdr.Copy();
                    h.StartTimeStamp = r.Replication * 1000L;
                    h.EndTimeStamp = r.Replication * 1000L + 1000;
                    histograms.Add(h);
                }
                using var stream = new MemoryStream();
                HistogramLogWriter.Write(stream, DateTime.UnixEpoch, [.. histograms]);
                // HdrHistogram.NET writes UTF-16; the log format (and the Java tools) expect ASCII text.
                stream.Position = 0;
                using var reader = new StreamReader(stream, detectEncodingFromByteOrderMarks: true);
                string text = reader.ReadToEnd();
                string name = $"{group.Key.Scenario}_p{group.Key.Point}_{group.Key.Mechanism}_{reps[0].Latencies[k].Kind}.hlog";
                yield return (name, new System.Text.UTF8Encoding(false).GetBytes(text));
            }
        }
    }
}
