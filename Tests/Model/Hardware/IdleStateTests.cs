using TlbSim.Model.Hardware;
using TlbSim.Model.Linux;
using TlbSim.Model.Memory;
using TlbSim.Model.Units;
using Xunit;

namespace TlbSim.Tests.Model.Hardware;

/// <summary>Do idle CPUs reach, and wake from, the states the hardware and the menu governor allow?</summary>
public class IdleStateTests
{
    private static MachineParams Smt(int cores, IdleState[]? states = null)
    {
        var skx = MachinePresets.SkylakeSp2s;
        return skx with
        {
            Topology = new TopologyParams { Sockets = 1, CoresPerSocket = cores, ThreadsPerCore = 2 },
            Cpu = skx.Cpu with { IdleStates = states ?? skx.Cpu.IdleStates },
        };
    }

    [Fact]
    public void A_core_enters_C6_only_when_both_SMT_siblings_are_idle()
    {
        var h = new Harness(Smt(2));
        var c6 = h.Machine.Params.Cpu.IdleStates[^1];
        // cpu0 and cpu2 are the two threads of core 0; cpu1 and cpu3 of core 1.
        h.Idle(0, periodUs: 100_000);
        h.Busy(2);
        h.Idle(1, periodUs: 100_000);
        h.Idle(3, periodUs: 100_000);
        h.RunFor(50);
        Assert.Equal(c6.Name, h[0].IdleStateRequested!.Name);
        Assert.Equal(IdleLevel.Thread, h.Machine.Reached(h[0], c6).Level); // its sibling runs
        Assert.Equal(IdleLevel.Core, h.Machine.Reached(h[1], c6).Level); // both threads idle, but core 0 runs
    }

    [Fact]
    public void A_package_state_is_reached_only_when_every_core_of_the_package_is_idle()
    {
        var h = new Harness(Smt(2));
        var c6 = h.Machine.Params.Cpu.IdleStates[^1];
        for (int i = 0; i < 4; i++)
            h.Idle(i, periodUs: 100_000);
        h.RunFor(50);
        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(IdleLevel.Package, h.Machine.Reached(h[i], c6).Level));
    }

    [Fact]
    public void A_wake_from_C6_reached_only_as_a_core_state_is_bounded_by_the_core_exit_latency()
    {
        // Skylake-SP: C6 is 133 us with the package idle, 92 us (CC6 + PC0) when only the core is.
        var wakes = new List<Duration>();
        for (int seed = 1; seed <= 20; seed++)
        {
            var h = new Harness(Smt(2), seed: seed);
            var t = h.Once(0, c => h.Kernel.OnEachCpuMask(c, [h[1]], _ => Duration.Zero, runLocal: false), startUs: 2000);
            h.Busy(2); // the package stays active
            h.Idle(1, periodUs: 100_000);
            h.Idle(3, periodUs: 100_000);
            h.RunFor(3000);
            wakes.Add(t.Latency);
        }
        Assert.All(wakes, w => Assert.InRange(w.TotalMicroseconds, 92 * 0.5, 92 + 2));
        Assert.True(wakes.Distinct().Count() > 10, "wake-ups are drawn, not a constant");
    }

    [Fact]
    public void A_single_request_to_a_CPU_polling_in_idle_sends_no_IPI_and_takes_no_interrupt()
    {
        var poll = MachinePresets.Poll;
        var h = new Harness(Harness.Cpus(2) with { Cpu = new CpuParams { IdleStates = [poll] } });
        var ran = false;
        var t = h.Once(0, c => h.Kernel.OnEachCpuMask(c, [h[1]], _ => { ran = true; return Duration.Zero; }, runLocal: false), startUs: 5);
        h.Idle(1);
        h.RunFor(100);
        Assert.True(ran);
        Assert.NotNull(t.End);
        Assert.Equal(0, h.Machine.Bus.IpisSent);
        Assert.Equal(1, h.Machine.Bus.PollWakes);
        Assert.Equal(0, h[1].InterruptsTaken);
    }

    [Fact]
    public void Requests_to_several_polling_CPUs_still_go_by_IPI_because_only_the_single_target_path_checks_polling()
    {
        var h = new Harness(Harness.Cpus(3, shorthand: false) with { Cpu = new CpuParams { IdleStates = [MachinePresets.Poll] } });
        h.Once(0, c => h.Kernel.OnEachCpuMask(c, [h[1], h[2]], _ => Duration.Zero, runLocal: false), startUs: 5);
        h.Idle(1);
        h.Idle(2);
        h.RunFor(100);
        Assert.Equal(2, h.Machine.Bus.IpisSent);
        Assert.Equal(0, h.Machine.Bus.PollWakes);
    }

    [Fact]
    public void Wake_shapes_interpolate_between_their_quantiles()
    {
        var shape = new WakeShape { Min = 0.5, P50 = 0.6, P90 = 0.7, P99 = 0.85, P999 = 0.95, Max = 1.0 };
        var exit = Duration.FromMicroseconds(100);
        Assert.Equal(Duration.FromMicroseconds(50), shape.At(0, exit));
        Assert.Equal(Duration.FromMicroseconds(60), shape.At(0.5, exit));
        Assert.Equal(Duration.FromMicroseconds(65), shape.At(0.7, exit));
        Assert.Equal(Duration.FromMicroseconds(100), shape.At(1, exit));
    }
}
