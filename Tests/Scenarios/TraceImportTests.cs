using System.Diagnostics;
using TlbSim.Model.Workloads;
using TlbSim.Scenarios.Tracing;
using Xunit;

namespace TlbSim.Tests.Scenarios;

/// <summary>
/// Does tlbsim trace import read perf script output as recorded on a real machine, keep what the replay
/// needs, and refuse every kind of bad input with a located error and bounded memory?
/// </summary>
public class TraceImportTests
{
    private static readonly string Sample = Path.Combine(ScenarioLoaderTests.RepoRoot(), "Tests", "Scenarios", "Data", "make_lua_head.perf.txt");

    private static IReadOnlyList<string> Errors(string text, long maxEvents = RecordedTrace.MaxEvents) =>
        Assert.Throws<TraceFormatException>(() => PerfScriptImporter.Import(new StringReader(text), "t.txt", maxEvents: maxEvents)).Errors;

    private const string Switch = "            perf  8146 [001] 13832.246967:                     sched:sched_switch: prev_comm=perf prev_pid=8146 prev_prio=120 prev_state=S ==> next_comm=cc1 next_pid=8147 next_prio=120";
    private const string Flush = "       perf-exec  8147 [001] 13832.247018:                          tlb:tlb_flush: pages:1 reason:local MM shootdown (3)";

    [Fact]
    public void The_head_of_a_recorded_make_keeps_every_event_the_replay_reads_with_its_fields()
    {
        var lines = File.ReadAllLines(Sample);
        var trace = PerfScriptImporter.Import(Sample);
        Assert.Equal(2, trace.Cpus);
        Assert.Equal(lines.Count(l => l.Contains("tlb:tlb_flush:", StringComparison.Ordinal)), trace.Count(TraceEventKind.Flush));
        Assert.Equal(lines.Count(l => l.Contains("kmem:mm_page_alloc:", StringComparison.Ordinal)), trace.Count(TraceEventKind.Alloc));
        Assert.Equal(lines.Count(l => l.Contains("kmem:mm_page_alloc:", StringComparison.Ordinal) && l.Contains("GFP_HIGHUSER", StringComparison.Ordinal)), trace.Count(TraceEventKind.Alloc, e => e.B == 1));
        Assert.Equal(lines.Count(l => l.Contains("sched:sched_switch:", StringComparison.Ordinal) && l.Contains("next_pid=0 ", StringComparison.Ordinal)), trace.Count(TraceEventKind.Idle));
        Assert.Equal(lines.Count(l => l.Contains("irq_vectors:call_function", StringComparison.Ordinal)), trace.Count(TraceEventKind.Ipi));
        Assert.Equal(lines.Count(l => l.Contains("remote IPI send (4)", StringComparison.Ordinal)), trace.Count(TraceEventKind.Flush, e => e.A == 4));
        Assert.All(trace.PerCpu, events => Assert.True(events.Zip(events.Skip(1)).All(p => p.First.TimePs <= p.Second.TimePs)));
    }

    [Fact]
    public void A_trace_written_and_read_back_is_the_same_trace()
    {
        var trace = PerfScriptImporter.Import(Sample);
        string file = Path.Combine(Path.GetTempPath(), $"tlbsim-{Guid.NewGuid():N}.tlbtrace.gz");
        try
        {
            using (var s = File.Create(file))
                trace.Write(s);
            var back = RecordedTrace.Load(file);
            Assert.Equal(trace.Cpus, back.Cpus);
            for (int c = 0; c < trace.Cpus; c++)
                Assert.Equal(trace.PerCpu[c].Select(e => e with { TimePs = e.TimePs / 1000 * 1000 }), back.PerCpu[c]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Truncated_lines_unknown_events_bad_fields_and_events_out_of_order_are_each_located()
    {
        string text = string.Join('\n',
            Switch,
            "       perf-exec  8147 [001] 13832.2470",
            "       perf-exec  8147 [001] 13832.247019:                   kmem:kmalloc: call_site=x ptr=y",
            "       perf-exec  8147 [001] 13832.247020:                          tlb:tlb_flush: pages:many reason:?",
            Flush.Replace("13832.247018", "13832.246000", StringComparison.Ordinal));
        var errors = Errors(text);
        Assert.Contains(errors, e => e.StartsWith("t.txt:2:1:", StringComparison.Ordinal) && e.Contains("truncated", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("t.txt:3:", StringComparison.Ordinal) && e.Contains("unknown event 'kmem:kmalloc'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("t.txt:4:", StringComparison.Ordinal) && e.Contains("do not parse", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("t.txt:5:", StringComparison.Ordinal) && e.Contains("before the previous", StringComparison.Ordinal));
    }

    [Fact]
    public void A_binary_file_is_refused_at_its_first_NUL()
    {
        var errors = Errors(Switch + "\n\u0000\u0001\u0002perf.data");
        Assert.Single(errors);
        Assert.Contains("binary", errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void An_endless_line_and_an_endless_stream_of_events_stop_with_bounded_memory()
    {
        var line = Errors(new string('x', 10_000_000));
        Assert.Contains("more than 4096 characters", line[0], StringComparison.Ordinal);
        var endless = Assert.Throws<TraceFormatException>(() => PerfScriptImporter.Import(new EndlessPerfScript(), "endless.txt", maxEvents: 5000)).Errors;
        Assert.Contains("more than 5,000 events", endless[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_scenario_naming_a_missing_or_unusable_trace_gets_an_error_at_its_trace_key()
    {
        var e = Assert.Throws<TlbSim.Scenarios.Loading.ScenarioException>(() => TlbSim.Scenarios.Loading.ScenarioLoader.Parse(
            "scenarios:\n  - name: a\n    workload: {trace: nowhere.tlbtrace.gz}\n  - name: b\n    workload: {trace: " + Sample + "}\n", "s.yaml"));
        Assert.Contains(e.Errors, x => x.Location.Line == 3 && x.KeyPath.EndsWith("workload.trace", StringComparison.Ordinal) && x.Message.Contains("no such file", StringComparison.Ordinal));
        Assert.Contains(e.Errors, x => x.Location.Line == 5 && x.Message.Contains("not a gzip-compressed tlbsim trace", StringComparison.Ordinal));
    }

    [Fact]
    public void Import_writes_into_a_folder_it_creates_and_refuses_an_unwritable_one_with_exit_2()
    {
        string dir = Directory.CreateTempSubdirectory("tlbsim-trace").FullName;
        try
        {
            string target = Path.Combine(dir, "new", "folder", "t.tlbtrace.gz");
            Assert.Equal(0, TraceCommand.Import(Sample, target, new StringWriter(), new StringWriter()));
            Assert.True(RecordedTrace.Load(target).Cpus == 2);
            File.WriteAllText(Path.Combine(dir, "file"), "");
            var error = new StringWriter();
            Assert.Equal(2, TraceCommand.Import(Sample, Path.Combine(dir, "file", "t.gz"), new StringWriter(), error));
            Assert.Contains("cannot write it", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_truncated_copy_of_a_trace_and_a_folder_are_refused_for_what_they_are()
    {
        string dir = Directory.CreateTempSubdirectory("tlbsim-trace").FullName;
        try
        {
            var whole = File.ReadAllBytes(Path.Combine(ScenarioLoaderTests.RepoRoot(), "traces", "git_linux_tree.tlbtrace.gz"));
            string cut = Path.Combine(dir, "cut.tlbtrace.gz");
            File.WriteAllBytes(cut, whole[..(whole.Length / 2)]);
            var e = Assert.Throws<TraceFormatException>(() => RecordedTrace.Load(cut));
            Assert.Contains("cut short", e.Errors[0], StringComparison.Ordinal);
            Assert.Contains("a folder", Assert.Throws<TraceFormatException>(() => RecordedTrace.Load(dir)).Errors[0], StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void An_empty_file_says_how_to_record_one()
    {
        Assert.Contains("perf record -a", Errors("")[0], StringComparison.Ordinal);
    }

    [NeedsProgramsFact("linux-perf", "perf", AsRoot = true)]
    public void A_trace_recorded_here_with_perf_imports_and_holds_the_command_s_page_allocations()
    {
        string dir = Directory.CreateTempSubdirectory("tlbsim-perf").FullName;
        try
        {
            string data = Path.Combine(dir, "x.data"), text = Path.Combine(dir, "x.perf.txt");
            Run("perf", $"record -q -a -e tlb:tlb_flush -e kmem:mm_page_alloc -e kmem:mm_page_free -e irq_vectors:call_function_entry -e irq_vectors:call_function_single_entry -e sched:sched_switch -o {data} -- sh -c \"ls -R /usr/lib > /dev/null\"");
            Run("sh", $"-c \"perf script -i {data} > {text} 2>/dev/null\"");
            var trace = PerfScriptImporter.Import(text);
            Assert.True(trace.Count(TraceEventKind.Alloc) > 0, "ls allocates pages");
            Assert.True(trace.Count(TraceEventKind.Switch) > 0);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Run(string program, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        string err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{program} {args}: exit {p.ExitCode}: {err}");
    }

    // perf script output that never ends: one valid event per line, forever.
    private sealed class EndlessPerfScript : TextReader
    {
        private string _line = "";
        private int _at;
        private long _n;

        public override int Read()
        {
            if (_at == _line.Length)
            {
                _n++;
                _line = FormattableString.Invariant($"            perf  8146 [000] {1000 + _n * 1e-6:F6}:                          tlb:tlb_flush: pages:1 reason:local MM shootdown (3)\n");
                _at = 0;
            }
            return _line[_at++];
        }
    }
}
