using TlbSim.Model.Hardware;
using TlbSim.Model.Linux;
using TlbSim.Model.Mechanisms;
using TlbSim.Model.Units;
using TlbSim.Model.Workloads;
using TlbSim.Tests.Model.Mechanisms;
using TlbSim.Tests.Scenarios;
using Xunit;

namespace TlbSim.Tests.Model.Workloads;

/// <summary>Do the committed traces of real workloads replay on the simulated machine by the stated rule, with mechanisms acting on the recorded events?</summary>
public class TraceReplayTests
{
    private static string TracePath(string name) => Path.Combine(ScenarioLoaderTests.RepoRoot(), "traces", name + ".tlbtrace.gz");

    private static RunOutcome Replay(string name, string mechanism, int cpus, double ms = 200)
    {
        var spec = MechanismTests.Spec(mechanism, cpus, workload: new WorkloadParams { Trace = TracePath(name) }, rate: 0, ms: ms, warmupMs: 20);
        return MechanismTests.Run(spec).Outcome;
    }

    [Theory]
    [InlineData("make_lua_j2")]
    [InlineData("git_linux_tree")]
    [InlineData("dotnet_build_model")]
    public void Each_committed_trace_replays_its_CPUs_busy_and_idle_periods(string name)
    {
        var o = Replay(name, "baseline", 2);
        double idle = o.TimeShare[TimeCategory.Idle];
        Assert.InRange(idle, 0.001, 0.999);
        Assert.True(o.TimeShare[TimeCategory.Workload] > 0.01);
    }

    [Fact]
    public void The_dotnet_build_s_recorded_flushes_reach_the_other_CPU_when_the_runtime_s_threads_share_it()
    {
        var o = Replay("dotnet_build_model", "baseline", 2, ms: 1000);
        Assert.True(o.Shootdowns > 0, "recorded initiator flushes are replayed as flush_tlb_mm_range");
    }

    [Fact]
    public void Xpfo_acts_on_the_user_page_allocations_and_frees_the_compile_recorded()
    {
        // One operation (unmap or map) per recorded transition in the measured window, 20 to 520 ms.
        var trace = RecordedTrace.Load(TracePath("make_lua_j2"));
        long from = Duration.FromMilliseconds(20).Picoseconds, to = Duration.FromMilliseconds(520).Picoseconds;
        long recorded = trace.PerCpu.Sum(c => c.LongCount(e => e.Kind is TraceEventKind.Alloc or TraceEventKind.Free && e.B == 1 && e.TimePs >= from && e.TimePs < to));
        var o = Replay("make_lua_j2", "xpfo", 2, ms: 500);
        Assert.InRange(o.Operations, recorded * 0.9, recorded * 1.1);
    }

    [Fact]
    public void A_machine_with_more_CPUs_than_the_trace_replays_shifted_copies_of_each_recorded_CPU()
    {
        var four = Replay("make_lua_j2", "baseline", 4);
        Assert.InRange(four.TimeShare[TimeCategory.Idle], 0.001, 0.999);
    }
}
