using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using TlbSim.Model.Workloads;

namespace TlbSim.Scenarios.Tracing;

/// <summary>
/// Reads <c>perf script</c> output (default fields: comm, tid, [cpu], time, event, fields) of the tracepoints
/// tlbsim replays into a <see cref="RecordedTrace"/>. The input is streamed: a line longer than
/// <see cref="MaxLine"/> characters, a NUL byte (a binary file), a line that is not a perf script event, an
/// unknown event, a field that does not parse and an event out of time order are each an error with its file,
/// line and column; at most <see cref="MaxErrors"/> are collected, and at most
/// <see cref="RecordedTrace.MaxEvents"/> events are read, so any input takes bounded memory.
/// </summary>
public static partial class PerfScriptImporter
{
    /// <summary>Longest line read.</summary>
    public const int MaxLine = 4096;

    /// <summary>Errors collected before the import stops.</summary>
    public const int MaxErrors = 50;

    /// <summary>The events tlbsim reads, and the record command that gives them.</summary>
    public const string RecordCommand =
        "perf record -a -e tlb:tlb_flush -e kmem:mm_page_alloc -e kmem:mm_page_free -e irq_vectors:call_function_entry -e irq_vectors:call_function_single_entry -e sched:sched_switch -- COMMAND; perf script -F comm,pid,tid,cpu,time,event,trace > FILE";

    private static readonly string[] Ignored = ["irq_vectors:call_function_exit", "irq_vectors:call_function_single_exit"];

    [GeneratedRegex(@"^\s*(?<comm>.*?)\s+(?<pid>-?\d+)(?:/(?<tid>-?\d+))?\s+\[(?<cpu>\d{1,4})\]\s+(?:\S+\s+)?(?<time>\d+\.\d+):\s+(?<event>[A-Za-z0-9_]+:[A-Za-z0-9_]+):\s?(?<rest>.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex EventLine();

    [GeneratedRegex(@"next_comm=(?<comm>.*) next_pid=(?<pid>\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex NextTask();

    [GeneratedRegex(@"pages:(?<pages>-?\d+) reason:.*\((?<reason>\d)\)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex TlbFlush();

    [GeneratedRegex(@"pfn=0x(?<pfn>[0-9a-fA-F]+) order=(?<order>\d+)(?: migratetype=-?\d+ gfp_flags=(?<gfp>\S*))?", RegexOptions.CultureInvariant)]
    private static partial Regex Page();

    // Kernel threads run on the previous task's mm lazily; their comms.
    private static readonly string[] KernelThreads = ["kworker", "ksoftirqd", "migration", "rcu_", "kthreadd", "watchdog", "cpuhp", "kcompactd", "kswapd", "khugepaged", "jbd2", "idle_inject", "oom_reaper", "kauditd", "irq/"];

    /// <summary>Whether a task with this comm is a kernel thread (no mm of its own).</summary>
    public static bool IsKernelThread(string comm) => KernelThreads.Any(k => comm.StartsWith(k, StringComparison.Ordinal));

    /// <summary>Imports <paramref name="path"/>; throws <see cref="TraceFormatException"/> with every problem located.</summary>
    public static RecordedTrace Import(string path, IReadOnlyDictionary<string, string>? header = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        Stream stream;
        try
        {
            stream = File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new TraceFormatException([$"{path}: cannot read it: {e.Message}"]);
        }
        using (stream)
            return Import(new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: false)), path, header);
    }

    /// <summary>Imports perf script text from <paramref name="reader"/>, naming it <paramref name="path"/> in messages.</summary>
    public static RecordedTrace Import(TextReader reader, string path, IReadOnlyDictionary<string, string>? header = null, long maxEvents = RecordedTrace.MaxEvents)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var errors = new List<string>();
        var perCpu = new List<List<TraceEvent>>();
        var userPages = new HashSet<long>();
        var processOf = new Dictionary<int, int>(); // tid -> tgid, learned from each line's pid/tid
        bool pids = false;
        long lastPs = long.MinValue, events = 0, startPs = -1;
        int lineNo = 0;
        var line = new StringBuilder(256);
        while (errors.Count < MaxErrors)
        {
            var read = ReadLine(reader, line);
            if (read == LineRead.End)
                break;
            lineNo++;
            if (read == LineRead.TooLong)
            {
                errors.Add($"{path}:{lineNo}:1: a line of more than {MaxLine} characters (is this perf script output?); the import stops there");
                break;
            }
            if (read == LineRead.Binary)
            {
                errors.Add($"{path}:{lineNo}:1: a NUL byte: a binary file (perf.data itself?); give the text of perf script");
                break;
            }
            string text = line.ToString();
            if (text.Trim().Length == 0 || text.StartsWith('#'))
                continue;
            var m = EventLine().Match(text);
            if (!m.Success)
            {
                errors.Add($"{path}:{lineNo}:1: not a perf script event line (comm tid [cpu] time: event: fields); truncated? '{Cut(text)}'");
                continue;
            }
            string name = m.Groups["event"].Value;
            if (Ignored.Contains(name))
                continue;
            if (m.Groups["tid"].Success && int.TryParse(m.Groups["tid"].Value, CultureInfo.InvariantCulture, out int lineTid)
                && int.TryParse(m.Groups["pid"].Value, CultureInfo.InvariantCulture, out int lineTgid) && lineTid > 0 && processOf.Count < 1_000_000)
            {
                pids = true;
                processOf[lineTid] = lineTgid;
            }
            int cpu = int.Parse(m.Groups["cpu"].Value, CultureInfo.InvariantCulture);
            long ps = (long)Math.Round(double.Parse(m.Groups["time"].Value, CultureInfo.InvariantCulture) * 1e12);
            int column = m.Groups["rest"].Index + 1;
            string rest = m.Groups["rest"].Value;
            TraceEvent? e = null;
            switch (name)
            {
                case "sched:sched_switch":
                    var next = NextTask().Match(rest);
                    if (next.Success && int.TryParse(next.Groups["pid"].Value, CultureInfo.InvariantCulture, out int pid))
                        e = pid == 0 ? new TraceEvent(ps, TraceEventKind.Idle, 0, 0) : new TraceEvent(ps, TraceEventKind.Switch, pid, IsKernelThread(next.Groups["comm"].Value) ? -1 : pid);
                    break;
                case "tlb:tlb_flush":
                    var flush = TlbFlush().Match(rest);
                    if (flush.Success && int.TryParse(flush.Groups["pages"].Value, CultureInfo.InvariantCulture, out int pages))
                        e = new TraceEvent(ps, TraceEventKind.Flush, flush.Groups["reason"].Value[0] - '0', pages);
                    break;
                case "kmem:mm_page_alloc" or "kmem:mm_page_free":
                    var page = Page().Match(rest);
                    if (page.Success && long.TryParse(page.Groups["pfn"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long pfn)
                        && int.TryParse(page.Groups["order"].Value, CultureInfo.InvariantCulture, out int order) && order <= 10)
                    {
                        bool alloc = name == "kmem:mm_page_alloc";
                        bool user = alloc ? page.Groups["gfp"].Value.Contains("GFP_HIGHUSER", StringComparison.Ordinal) : userPages.Remove(pfn);
                        if (alloc && user)
                            userPages.Add(pfn);
                        e = new TraceEvent(ps, alloc ? TraceEventKind.Alloc : TraceEventKind.Free, order, user ? 1 : 0);
                    }
                    break;
                case "irq_vectors:call_function_entry":
                    e = new TraceEvent(ps, TraceEventKind.Ipi, 0, 0);
                    break;
                case "irq_vectors:call_function_single_entry":
                    e = new TraceEvent(ps, TraceEventKind.Ipi, 1, 0);
                    break;
                default:
                    errors.Add($"{path}:{lineNo}:{m.Groups["event"].Index + 1}: unknown event '{name}'; tlbsim reads tlb:tlb_flush, kmem:mm_page_alloc, kmem:mm_page_free, irq_vectors:call_function(_single)_entry/_exit and sched:sched_switch ({RecordCommand})");
                    continue;
            }
            if (e is null)
            {
                errors.Add($"{path}:{lineNo}:{column}: the fields of {name} do not parse: '{Cut(rest)}'");
                continue;
            }
            if (ps < lastPs)
            {
                errors.Add($"{path}:{lineNo}:{m.Groups["time"].Index + 1}: time {m.Groups["time"].Value} is before the previous event's; perf script prints events in time order (was the file edited or concatenated?)");
                continue;
            }
            lastPs = ps;
            if (startPs < 0)
                startPs = ps;
            if (++events > maxEvents)
            {
                errors.Add($"{path}:{lineNo}:1: more than {maxEvents:N0} events; tlbsim replays at most that many (record a shorter window)");
                break;
            }
            while (perCpu.Count <= cpu)
                perCpu.Add([]);
            perCpu[cpu].Add(e.Value with { TimePs = ps - startPs });
        }
        if (errors.Count > 0)
            throw new TraceFormatException(errors);
        if (events == 0)
            throw new TraceFormatException([$"{path}:{lineNo + 1}:1: no events; record them with: {RecordCommand}"]);
        var h = new Dictionary<string, string>(header ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["source"] = Path.GetFileName(path),
            ["processes"] = pids ? "from perf script's pid/tid: threads of one process share its mm" : "unknown (perf script printed no pid/tid): each thread taken as its own process",
        };
        // A switch's B is the process (tgid) whose mm the task runs on, once every line has been seen.
        return new RecordedTrace([.. perCpu.Select(c => c.Select(e => e.Kind == TraceEventKind.Switch && e.B > 0 && processOf.TryGetValue(e.A, out int tgid) ? e with { B = tgid } : e).ToArray())], h);
    }

    private enum LineRead { Line, End, TooLong, Binary }

    // One line into `line`, never more than MaxLine characters held.
    private static LineRead ReadLine(TextReader reader, StringBuilder line)
    {
        line.Clear();
        int c;
        bool any = false;
        while ((c = reader.Read()) >= 0)
        {
            any = true;
            if (c == '\n')
                break;
            if (c == 0)
                return LineRead.Binary;
            if (line.Length >= MaxLine)
                return LineRead.TooLong; // the rest is not read: a file without line ends must not be read to its end
            line.Append((char)c);
        }
        if (!any)
            return LineRead.End;
        if (line.Length > 0 && line[^1] == '\r')
            line.Length--;
        return LineRead.Line;
    }

    private static string Cut(string s) => s.Length > 80 ? s[..80] + "..." : s;
}
