using TlbSim.Model.Kernel;
using TlbSim.Model.Units;
using Xunit;

namespace TlbSim.Tests.Model.Kernel;

/// <summary>Does an interrupt reach a waiting process at once, with its cause and the time its wait had left?</summary>
public class InterruptTests
{
    private static Duration Ns(double ns) => Duration.FromNanoseconds(ns);

    [Fact]
    public void An_interrupted_slice_learns_the_cause_and_the_remaining_time()
    {
        var sim = new Simulation();
        Interrupt? seen = null;
        Duration resumedAt = default;
        Process? cpu = null;
        IEnumerable<Event> Cpu()
        {
            yield return sim.Timeout(Ns(100));
            if (cpu!.TryTakeInterrupt(out var i))
            {
                seen = i;
                resumedAt = sim.Now;
                yield return sim.Timeout(i.Remaining!.Value); // finish the slice
            }
        }
        cpu = sim.Process(Cpu(), "cpu0");
        IEnumerable<Event> Sender()
        {
            yield return sim.Timeout(Ns(30));
            cpu.Interrupt("ipi");
        }
        sim.Process(Sender());
        sim.Run();
        Assert.Equal("ipi", seen!.Value.Cause);
        Assert.Equal(Ns(70), seen.Value.Remaining);
        Assert.Equal(Ns(30), resumedAt);
        Assert.Equal(Ns(100), sim.Now);
    }

    [Fact]
    public void An_interrupt_runs_before_a_timeout_ending_at_the_same_instant()
    {
        var sim = new Simulation();
        Process? p = null;
        Interrupt seen = default;
        bool interrupted = false;
        IEnumerable<Event> Interrupter()
        {
            yield return sim.Timeout(Ns(10));
            p!.Interrupt("ipi");
        }
        sim.Process(Interrupter()); // started first, so its timeout at 10 ns fires before p's
        IEnumerable<Event> Body()
        {
            yield return sim.Timeout(Ns(10));
            interrupted = p!.TryTakeInterrupt(out seen);
        }
        p = sim.Process(Body());
        sim.Run();
        Assert.True(interrupted);
        Assert.Equal(Duration.Zero, seen.Remaining);
    }

    [Fact]
    public void A_process_waiting_on_a_plain_event_is_interrupted_with_no_remaining_time()
    {
        var sim = new Simulation();
        var never = sim.Event();
        Interrupt seen = default;
        Process? p = null;
        IEnumerable<Event> Body()
        {
            yield return never;
            Assert.True(p!.TryTakeInterrupt(out seen));
        }
        p = sim.Process(Body());
        sim.Process(Kick(sim, () => p.Interrupt(42)));
        sim.Run();
        Assert.Equal(42, seen.Cause);
        Assert.Null(seen.Remaining);
        Assert.False(p.IsAlive);
    }

    [Fact]
    public void An_interrupt_the_process_does_not_take_stops_the_run_with_a_clear_error()
    {
        var sim = new Simulation();
        IEnumerable<Event> Ignorant()
        {
            yield return sim.Timeout(Ns(50));
            yield return sim.Timeout(Ns(50));
        }
        var p = sim.Process(Ignorant(), "ignorant");
        sim.Process(Kick(sim, () => p.Interrupt("ipi")));
        var e = Assert.Throws<SimulationException>(sim.Run);
        Assert.Contains("ignorant", e.Message, StringComparison.Ordinal);
        Assert.Contains("interrupt", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Interrupting_an_ended_process_is_refused()
    {
        var sim = new Simulation();
        var p = sim.Process(Array.Empty<Event>());
        sim.Run();
        Assert.Throws<InvalidOperationException>(() => p.Interrupt());
    }

    [Fact]
    public void The_abandoned_timeout_of_an_interrupted_process_resumes_nobody()
    {
        var sim = new Simulation();
        int resumptions = 0;
        Process? p = null;
        IEnumerable<Event> Body()
        {
            yield return sim.Timeout(Ns(100));
            resumptions++;
            p!.TryTakeInterrupt(out _);
            yield return sim.Timeout(Ns(500));
            resumptions++;
        }
        p = sim.Process(Body());
        sim.Process(Kick(sim, () => p.Interrupt()));
        sim.Run();
        Assert.Equal(2, resumptions);
        Assert.Equal(Ns(501), sim.Now);
    }

    private static IEnumerable<Event> Kick(Simulation sim, Action action)
    {
        yield return sim.Timeout(Duration.FromNanoseconds(1));
        action();
    }
}
