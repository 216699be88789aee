using System.Globalization;
using TlbSim.Model.Workloads;
using TlbSim.Scenarios.Cli;

namespace TlbSim.Scenarios.Tracing;

/// <summary><c>tlbsim trace import</c>: perf script output to a trace, with a summary of what it holds.</summary>
public static class TraceCommand
{
    /// <summary>Imports <paramref name="file"/>; exit 0, or 2 with every problem located.</summary>
    public static int Import(string file, string? outFile, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        RecordedTrace trace;
        try
        {
            trace = PerfScriptImporter.Import(file, new Dictionary<string, string> { ["imported"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) });
        }
        catch (TraceFormatException e)
        {
            foreach (var x in e.Errors)
                error.WriteLine(x);
            return CheckAndList.BadInput;
        }
        outFile ??= Path.ChangeExtension(file, null) + ".tlbtrace.gz";
        try
        {
            if (Path.GetDirectoryName(Path.GetFullPath(outFile)) is { Length: > 0 } dir)
                Directory.CreateDirectory(dir);
            using var stream = File.Create(outFile);
            trace.Write(stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error.WriteLine($"--out {outFile}: cannot write it: {e.Message}");
            return CheckAndList.BadInput;
        }
        output.WriteLine(Summary(trace));
        if (trace.Header.TryGetValue("processes", out var processes) && processes.StartsWith("unknown", StringComparison.Ordinal))
            output.WriteLine("note: perf script printed no pid/tid, so each thread replays as its own process; print them with perf script -F comm,pid,tid,cpu,time,event,trace");
        output.WriteLine($"wrote {outFile}; replay it with workload: {{trace: {outFile}}}");
        return 0;
    }

    /// <summary>What a trace holds, per kind of event.</summary>
    public static string Summary(RecordedTrace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        double s = trace.DurationPs / 1e12;
        string Rate(long n) => string.Create(CultureInfo.InvariantCulture, $"{n:N0} ({n / s:N0}/s)");
        return string.Join('\n',
            string.Create(CultureInfo.InvariantCulture, $"{trace.Cpus} CPUs, {s:0.###} s"),
            $"  context switches {Rate(trace.Count(TraceEventKind.Switch))}, to idle {Rate(trace.Count(TraceEventKind.Idle))}",
            $"  tlb_flush: local mm shootdowns {Rate(trace.Count(TraceEventKind.Flush, e => e.A == 3))}, remote IPI sends {Rate(trace.Count(TraceEventKind.Flush, e => e.A == 4))}, remote shootdowns received {Rate(trace.Count(TraceEventKind.Flush, e => e.A == 1))}, on task switch {Rate(trace.Count(TraceEventKind.Flush, e => e.A == 0))}",
            $"  page allocations {Rate(trace.Count(TraceEventKind.Alloc))} (user {Rate(trace.Count(TraceEventKind.Alloc, e => e.B == 1))}), frees {Rate(trace.Count(TraceEventKind.Free))} (of user pages {Rate(trace.Count(TraceEventKind.Free, e => e.B == 1))})",
            $"  call-function IPIs handled {Rate(trace.Count(TraceEventKind.Ipi))}");
    }
}
