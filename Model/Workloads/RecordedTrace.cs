using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace TlbSim.Model.Workloads;

/// <summary>What a recorded event was (the tracepoints tlbsim reads, normalised by <c>tlbsim trace import</c>).</summary>
public enum TraceEventKind : byte
{
    /// <summary>sched:sched_switch to a task (A: its pid, the thread; B: its process, the tgid whose mm it runs on, or -1 for a kernel thread, which runs on the previous mm lazily).</summary>
    Switch,

    /// <summary>sched:sched_switch to the idle task (swapper).</summary>
    Idle,

    /// <summary>tlb:tlb_flush (A: the reason, TLB_FLUSH_ON_TASK_SWITCH 0 .. TLB_REMOTE_WRONG_CPU 5; B: pages, -1 for TLB_FLUSH_ALL).</summary>
    Flush,

    /// <summary>kmem:mm_page_alloc (A: order; B: 1 for a user page, allocated with GFP_HIGHUSER).</summary>
    Alloc,

    /// <summary>kmem:mm_page_free (A: order; B: 1 for a page the trace saw allocated to user space).</summary>
    Free,

    /// <summary>irq_vectors:call_function_entry (A 0) or call_function_single_entry (A 1): an IPI handled.</summary>
    Ipi,
}

/// <summary>One recorded event on one CPU.</summary>
public readonly record struct TraceEvent(long TimePs, TraceEventKind Kind, int A, int B);

/// <summary>
/// A recorded workload in tlbsim's trace format (a gzip-compressed text file: a first line
/// <c>tlbsim-trace 1</c>, <c># key: value</c> header lines, then one event per line, <c>time_ns cpu kind a b</c>,
/// in time order), as <c>tlbsim trace import</c> writes it from <c>perf script</c> output.
/// </summary>
public sealed class RecordedTrace
{
    /// <summary>Most events a trace may hold (bounds memory: 24 bytes each, 120 MB; a minute of a busy 2-CPU machine).</summary>
    public const long MaxEvents = 5_000_000;

    private static readonly ConcurrentDictionary<string, (DateTime Written, RecordedTrace Trace)> Cache = new(StringComparer.Ordinal);

    /// <summary>Creates a trace from per-CPU event lists (each in time order, times from 0).</summary>
    public RecordedTrace(IReadOnlyList<TraceEvent[]> perCpu, IReadOnlyDictionary<string, string> header)
    {
        ArgumentNullException.ThrowIfNull(perCpu);
        ArgumentNullException.ThrowIfNull(header);
        PerCpu = perCpu;
        Header = header;
        DurationPs = Math.Max(1, perCpu.Select(e => e.Length == 0 ? 0 : e[^1].TimePs).DefaultIfEmpty(0).Max() + 1);
    }

    /// <summary>The recorded CPUs' events.</summary>
    public IReadOnlyList<TraceEvent[]> PerCpu { get; }

    /// <summary>The header: source command, kernel, machine.</summary>
    public IReadOnlyDictionary<string, string> Header { get; }

    /// <summary>Recorded CPUs.</summary>
    public int Cpus => PerCpu.Count;

    /// <summary>Time from the first event to the last, in picoseconds.</summary>
    public long DurationPs { get; }

    /// <summary>Events of a kind over the whole trace.</summary>
    public long Count(TraceEventKind kind, Func<TraceEvent, bool>? where = null) =>
        PerCpu.Sum(c => c.LongCount(e => e.Kind == kind && (where is null || where(e))));

    /// <summary>Writes the trace in tlbsim's format.</summary>
    public void Write(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var gz = new GZipStream(stream, CompressionLevel.SmallestSize, leaveOpen: true);
        using var w = new StreamWriter(gz, new UTF8Encoding(false));
        w.Write("tlbsim-trace 1\n");
        foreach (var (k, v) in Header)
            w.Write($"# {k}: {v}\n");
        w.Write($"# cpus: {Cpus}\n");
        var merged = PerCpu.SelectMany((events, cpu) => events.Select(e => (e, cpu))).OrderBy(x => x.e.TimePs).ThenBy(x => x.cpu);
        foreach (var (e, cpu) in merged)
            w.Write(string.Create(CultureInfo.InvariantCulture, $"{e.TimePs / 1000} {cpu} {Name(e.Kind)} {e.A} {e.B}\n"));
    }

    // Whether the file's gzip trailer (ISIZE: the uncompressed length mod 2^32) matches what was read to the
    // end: a truncated copy ends in arbitrary compressed bytes instead. Only meaningful once all was read.
    private static bool WholeGzip(string file, CountingStream counted)
    {
        if (!counted.AtEnd)
            return true; // stopped early on an error of its own
        using var f = File.OpenRead(file);
        if (f.Length < 18)
            return false;
        f.Seek(-4, SeekOrigin.End);
        Span<byte> size = stackalloc byte[4];
        f.ReadExactly(size);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(size) == (uint)counted.Count;
    }

    // Counts the bytes read through it and whether its end was reached.
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Count { get; private set; }

        public bool AtEnd { get; private set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = inner.Read(buffer, offset, count);
            Count += n;
            AtEnd |= n == 0 && count > 0;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Count; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>The kind's name in the file.</summary>
    public static string Name(TraceEventKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>Loads a trace file (cached by path and modification time); throws <see cref="TraceFormatException"/> with every problem located.</summary>
    public static RecordedTrace Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        DateTime written;
        try
        {
            written = File.GetLastWriteTimeUtc(full);
            if (Directory.Exists(full))
                throw new TraceFormatException([$"{path}: a folder, not a trace file"]);
            if (!File.Exists(full))
                throw new TraceFormatException([$"{path}: no such file"]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new TraceFormatException([$"{path}: cannot read it: {e.Message}"]);
        }
        if (Cache.TryGetValue(full, out var hit) && hit.Written == written)
            return hit.Trace;
        RecordedTrace trace;
        try
        {
            using var file = File.OpenRead(full);
            using var gz = new GZipStream(file, CompressionMode.Decompress);
            var counted = new CountingStream(gz);
            try
            {
                trace = Read(new StreamReader(counted, new UTF8Encoding(false, throwOnInvalidBytes: true)), path);
            }
            catch (TraceFormatException) when (!WholeGzip(full, counted))
            {
                throw new TraceFormatException([$"{path}: the gzip stream is cut short (a truncated copy?); import the trace again"]);
            }
            if (!WholeGzip(full, counted))
                throw new TraceFormatException([$"{path}: the gzip stream is cut short (a truncated copy?); import the trace again"]);
        }
        catch (InvalidDataException)
        {
            throw new TraceFormatException([$"{path}:1:1: not a gzip-compressed tlbsim trace (write one with tlbsim trace import)"]);
        }
        catch (DecoderFallbackException)
        {
            throw new TraceFormatException([$"{path}: not text inside the gzip stream (a binary file?)"]);
        }
        Cache[full] = (written, trace);
        return trace;
    }

    private static RecordedTrace Read(TextReader reader, string path)
    {
        var errors = new List<string>();
        var header = new Dictionary<string, string>(StringComparer.Ordinal);
        var perCpu = new List<List<TraceEvent>>();
        long events = 0, lastNs = long.MinValue;
        int lineNo = 0;
        string? line = reader.ReadLine();
        lineNo++;
        if (line != "tlbsim-trace 1")
            throw new TraceFormatException([$"{path}:1:1: expected 'tlbsim-trace 1' (write a trace with tlbsim trace import)"]);
        while ((line = reader.ReadLine()) is not null && errors.Count < 50)
        {
            lineNo++;
            if (line.Length > 4096)
            {
                errors.Add($"{path}:{lineNo}:1: a line of more than 4096 characters");
                continue;
            }
            if (line.StartsWith('#'))
            {
                int colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 2)
                    header[line[2..colon].Trim()] = line[(colon + 1)..].Trim();
                continue;
            }
            var f = line.Split(' ');
            if (f.Length != 5 || !long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out long ns)
                || !int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out int cpu) || cpu > 8191
                || !Enum.TryParse<TraceEventKind>(f[2], ignoreCase: true, out var kind) || !Enum.IsDefined(kind) || f[2] != Name(kind)
                || !int.TryParse(f[3], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int a)
                || !int.TryParse(f[4], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int b))
            {
                errors.Add($"{path}:{lineNo}:1: expected 'time_ns cpu kind a b' (kind one of {string.Join(", ", Enum.GetValues<TraceEventKind>().Select(Name))}), found '{(line.Length > 80 ? line[..80] + "..." : line)}'");
                continue;
            }
            if (ns < lastNs)
            {
                errors.Add($"{path}:{lineNo}:1: time {ns} ns is before the previous event's {lastNs} ns; events must be in time order");
                continue;
            }
            lastNs = ns;
            if (++events > MaxEvents)
                throw new TraceFormatException([$"{path}:{lineNo}:1: more than {MaxEvents:N0} events; tlbsim replays at most that many (record a shorter window)"]);
            while (perCpu.Count <= cpu)
                perCpu.Add([]);
            perCpu[cpu].Add(new TraceEvent(ns * 1000, kind, a, b));
        }
        if (errors.Count > 0)
            throw new TraceFormatException(errors);
        if (events == 0)
            throw new TraceFormatException([$"{path}:{lineNo}:1: the trace has no events"]);
        long start = perCpu.Where(c => c.Count > 0).Min(c => c[0].TimePs);
        return new RecordedTrace([.. perCpu.Select(c => c.Select(e => e with { TimePs = e.TimePs - start }).ToArray())], header);
    }
}

/// <summary>A trace file or perf script output that cannot be used; every problem, located.</summary>
public sealed class TraceFormatException(IReadOnlyList<string> errors) : Exception(string.Join(Environment.NewLine, errors))
{
    /// <summary>Each problem as file:line:column: message.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}
