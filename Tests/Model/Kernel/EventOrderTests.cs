using TlbSim.Model.Kernel;
using TlbSim.Model.Units;
using Xunit;

namespace TlbSim.Tests.Model.Kernel;

/// <summary>Does the engine process events in (time, priority, sequence) order, whatever the queue's size?</summary>
public class EventOrderTests
{
    private static Event ScheduleAt(Simulation sim, long delayPs, EventPriority priority, List<Event> log)
    {
        var e = new Event(sim);
        e.AddCallback(log.Add);
        sim.Schedule(e, delayPs, priority);
        return e;
    }

    [Fact]
    public void Thousands_of_ties_run_in_scheduling_order_across_queue_growth()
    {
        var sim = new Simulation();
        var log = new List<Event>();
        var expected = new List<Event>();
        // Interleave ties at t=1000 with other times so the queue grows many times while ties are pending.
        for (int i = 0; i < 5000; i++)
        {
            expected.Add(ScheduleAt(sim, 1000, EventPriority.Normal, log));
            ScheduleAt(sim, 2000 + i, EventPriority.Normal, new List<Event>());
        }
        sim.Run();
        Assert.Equal(expected, log);
    }

    [Fact]
    public void Ties_scheduled_at_the_current_instant_keep_their_order_across_growth()
    {
        var sim = new Simulation();
        var order = new List<int>();
        IEnumerable<Event> Spawner()
        {
            yield return sim.Timeout(Duration.FromNanoseconds(5));
            for (int i = 0; i < 3000; i++)
            {
                int k = i;
                var e = sim.Event();
                e.AddCallback(_ => order.Add(k));
                e.Succeed();
            }
        }
        sim.Process(Spawner());
        sim.Run();
        Assert.Equal(Enumerable.Range(0, 3000), order);
    }

    [Fact]
    public void At_one_instant_lower_priority_values_run_first()
    {
        var sim = new Simulation();
        var log = new List<Event>();
        var late = ScheduleAt(sim, 10, EventPriority.Late, log);
        var normal = ScheduleAt(sim, 10, EventPriority.Normal, log);
        var urgent = ScheduleAt(sim, 10, EventPriority.Urgent, log);
        var interrupt = ScheduleAt(sim, 10, EventPriority.Interrupt, log);
        sim.Run();
        Assert.Equal([interrupt, urgent, normal, late], log);
    }

    [Fact]
    public void An_event_scheduled_now_with_higher_priority_runs_before_pending_events_of_this_instant()
    {
        var sim = new Simulation();
        var log = new List<string>();
        var first = new Event(sim);
        first.AddCallback(_ =>
        {
            log.Add("first");
            var now = new Event(sim);
            now.AddCallback(_ => log.Add("urgent-now"));
            now.Succeed();
        });
        sim.Schedule(first, 10, EventPriority.Normal);
        var second = new Event(sim);
        second.AddCallback(_ => log.Add("normal-pending"));
        sim.Schedule(second, 10, EventPriority.Normal);
        sim.Run();
        Assert.Equal(["first", "urgent-now", "normal-pending"], log);
    }

    [Fact]
    public void A_stop_at_until_runs_before_other_events_at_that_time()
    {
        var sim = new Simulation();
        var log = new List<Event>();
        var before = ScheduleAt(sim, 99, EventPriority.Normal, log);
        ScheduleAt(sim, 100, EventPriority.Interrupt, log);
        sim.Run(new Duration(100));
        Assert.Equal([before], log);
        Assert.Equal(100, sim.NowPicoseconds);
        Assert.Equal(new Duration(100), sim.Peek());
        sim.Run();
        Assert.Equal(2, log.Count);
    }

    [Fact]
    public void Run_until_an_event_stops_right_after_it_and_returns_its_value()
    {
        var sim = new Simulation();
        var target = sim.Timeout(Duration.FromNanoseconds(3), "done");
        var later = sim.Timeout(Duration.FromNanoseconds(4));
        Assert.Equal("done", sim.Run(target));
        Assert.Equal(Duration.FromNanoseconds(3), sim.Now);
        Assert.False(later.IsProcessed);
    }

    [Fact]
    public void Step_processes_one_event_and_peek_tells_the_next_time()
    {
        var sim = new Simulation();
        sim.Timeout(Duration.FromNanoseconds(2));
        sim.Timeout(Duration.FromNanoseconds(7));
        Assert.Equal(Duration.FromNanoseconds(2), sim.Peek());
        Assert.True(sim.Step());
        Assert.Equal(Duration.FromNanoseconds(7), sim.Peek());
        Assert.True(sim.Step());
        Assert.Equal(Duration.MaxValue, sim.Peek());
        Assert.False(sim.Step());
    }

    [Fact]
    public void A_negative_timeout_is_refused()
    {
        var sim = new Simulation();
        Assert.Throws<ArgumentOutOfRangeException>(() => sim.Timeout(new Duration(-1)));
    }

    [Fact]
    public void Running_until_a_past_time_is_refused()
    {
        var sim = new Simulation();
        sim.Run(new Duration(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => sim.Run(new Duration(5)));
    }
}
