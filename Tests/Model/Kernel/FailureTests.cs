using TlbSim.Model.Kernel;
using TlbSim.Model.Units;
using Xunit;

namespace TlbSim.Tests.Model.Kernel;

/// <summary>Does a failure reach whoever waits for it, and stop the run when nobody does?</summary>
public class FailureTests
{
    [Fact]
    public void A_failure_nobody_handles_stops_the_run_naming_the_event_and_the_cause()
    {
        var sim = new Simulation();
        var e = sim.Event();
        e.Fail(new InvalidOperationException("csd lock lost"));
        var error = Assert.Throws<SimulationException>(sim.Run);
        Assert.Contains("csd lock lost", error.Message, StringComparison.Ordinal);
        Assert.Contains("nothing handled it", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_waiting_process_takes_the_failure_and_carries_on()
    {
        var sim = new Simulation();
        var e = sim.Event();
        Exception? taken = null;
        Process? p = null;
        IEnumerable<Event> Body()
        {
            yield return e;
            p!.TryTakeFailure(out taken);
            yield return sim.Timeout(Duration.FromNanoseconds(5));
        }
        p = sim.Process(Body());
        sim.Process(FailLater(sim, e));
        sim.Run();
        Assert.IsType<TimeoutException>(taken);
        Assert.True(p.IsOk);
    }

    [Fact]
    public void A_process_that_ignores_a_failure_fails_and_stops_the_run()
    {
        var sim = new Simulation();
        var e = sim.Event();
        IEnumerable<Event> Body()
        {
            yield return e;
            yield return sim.Timeout(Duration.FromNanoseconds(5));
        }
        sim.Process(Body(), "careless");
        sim.Process(FailLater(sim, e));
        var error = Assert.Throws<SimulationException>(sim.Run);
        Assert.Contains("careless", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_exception_in_a_child_process_reaches_the_parent_waiting_on_it()
    {
        var sim = new Simulation();
        IEnumerable<Event> Child()
        {
            yield return sim.Timeout(Duration.FromNanoseconds(1));
            throw new ArithmeticException("bad walk");
        }
        Exception? seen = null;
        Process? parent = null;
        IEnumerable<Event> Parent()
        {
            yield return sim.Process(Child(), "child");
            parent!.TryTakeFailure(out seen);
        }
        parent = sim.Process(Parent(), "parent");
        sim.Run();
        Assert.IsType<ArithmeticException>(seen);
    }

    [Fact]
    public void An_exception_in_a_process_nobody_waits_on_stops_the_run()
    {
        var sim = new Simulation();
        IEnumerable<Event> Body()
        {
            yield return sim.Timeout(Duration.FromNanoseconds(1));
            throw new ArithmeticException("bad walk");
        }
        sim.Process(Body(), "walker");
        var error = Assert.Throws<SimulationException>(sim.Run);
        Assert.Contains("walker", error.Message, StringComparison.Ordinal);
        Assert.IsType<ArithmeticException>(error.InnerException);
    }

    [Fact]
    public void A_defused_failure_does_not_stop_the_run()
    {
        var sim = new Simulation();
        var e = sim.Event();
        e.Fail(new InvalidOperationException("ignored on purpose"));
        e.Defuse();
        sim.Run();
        Assert.False(e.IsOk);
    }

    [Fact]
    public void Running_until_a_failed_event_reports_its_failure()
    {
        var sim = new Simulation();
        var e = sim.Event();
        sim.Process(FailLater(sim, e));
        var error = Assert.Throws<SimulationException>(() => sim.Run(e));
        Assert.IsType<TimeoutException>(error.InnerException);
    }

    [Fact]
    public void Running_until_an_event_that_never_happens_says_so()
    {
        var sim = new Simulation();
        var never = sim.Event();
        sim.Timeout(Duration.FromNanoseconds(3));
        var error = Assert.Throws<SimulationException>(() => sim.Run(never));
        Assert.Contains("no events left", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Triggering_an_event_twice_is_refused()
    {
        var sim = new Simulation();
        var e = sim.Event().Succeed();
        Assert.Throws<InvalidOperationException>(() => e.Succeed());
    }

    private static IEnumerable<Event> FailLater(Simulation sim, Event e)
    {
        yield return sim.Timeout(Duration.FromNanoseconds(2));
        e.Fail(new TimeoutException("ack never came"));
    }
}
