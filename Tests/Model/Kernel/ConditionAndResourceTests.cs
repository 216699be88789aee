using TlbSim.Model.Kernel;
using TlbSim.Model.Units;
using Xunit;

namespace TlbSim.Tests.Model.Kernel;

/// <summary>Do AllOf/AnyOf, resources and stores hand out what they promise, in the promised order?</summary>
public class ConditionAndResourceTests
{
    private static Duration Ns(double ns) => Duration.FromNanoseconds(ns);

    [Fact]
    public void AllOf_succeeds_when_the_slowest_event_does()
    {
        var sim = new Simulation();
        var all = sim.AllOf(sim.Timeout(Ns(3)), sim.Timeout(Ns(9)), sim.Timeout(Ns(5)));
        sim.Run(all);
        Assert.Equal(Ns(9), sim.Now);
        Assert.Equal(3, ((Event[])all.Value!).Length);
    }

    [Fact]
    public void AnyOf_succeeds_with_the_first_event()
    {
        var sim = new Simulation();
        var fast = sim.Timeout(Ns(3), "fast");
        var any = sim.AnyOf(sim.Timeout(Ns(9)), fast);
        sim.Run(any);
        Assert.Equal(Ns(3), sim.Now);
        Assert.Equal([fast], (Event[])any.Value!);
    }

    [Fact]
    public void A_condition_fails_with_the_first_failure_and_handles_it()
    {
        var sim = new Simulation();
        var bad = sim.Event();
        var all = sim.AllOf(sim.Timeout(Ns(3)), bad);
        bad.Fail(new InvalidOperationException("no ack"));
        Exception? seen = null;
        Process? p = null;
        IEnumerable<Event> Body()
        {
            yield return all;
            p!.TryTakeFailure(out seen);
        }
        p = sim.Process(Body());
        sim.Run();
        Assert.Equal("no ack", seen!.Message);
    }

    [Fact]
    public void An_empty_AllOf_succeeds_at_once()
    {
        var sim = new Simulation();
        var all = sim.AllOf();
        sim.Run(all);
        Assert.Equal(Duration.Zero, sim.Now);
    }

    [Fact]
    public void A_resource_serves_waiters_in_priority_then_arrival_order()
    {
        var sim = new Simulation();
        var lockRes = new Resource(sim, capacity: 1);
        var order = new List<string>();
        IEnumerable<Event> User(string name, int priority, double arriveNs)
        {
            yield return sim.Timeout(Ns(arriveNs));
            using var req = lockRes.Request(priority);
            yield return req;
            order.Add(name);
            yield return sim.Timeout(Ns(10));
        }
        sim.Process(User("holder", 0, 0));
        sim.Process(User("low-a", 5, 1));
        sim.Process(User("high", 1, 2));
        sim.Process(User("low-b", 5, 3));
        sim.Run();
        Assert.Equal(["holder", "high", "low-a", "low-b"], order);
        Assert.Equal(Ns(40), sim.Now);
    }

    [Fact]
    public void A_resource_of_capacity_two_runs_two_holders_at_once_and_tracks_utilisation()
    {
        var sim = new Simulation();
        var res = new Resource(sim, capacity: 2);
        IEnumerable<Event> User()
        {
            using var req = res.Request();
            yield return req;
            yield return sim.Timeout(Ns(10));
        }
        for (int i = 0; i < 4; i++)
            sim.Process(User());
        sim.Run();
        Assert.Equal(Ns(20), sim.Now);
        Assert.Equal(1.0, res.Utilisation.Mean, 9);
        Assert.Equal(1.0, res.QueueLength.Mean, 9); // 2 waiting for 10 ns, then none for 10 ns
    }

    [Fact]
    public void Disposing_a_queued_request_cancels_it()
    {
        var sim = new Simulation();
        var res = new Resource(sim);
        var held = res.Request();
        var queued = res.Request();
        Assert.Equal(1, res.Queued);
        queued.Dispose();
        Assert.Equal(0, res.Queued);
        held.Dispose();
        sim.Run();
        Assert.False(queued.IsTriggered);
        Assert.Equal(0, res.InUse);
    }

    [Fact]
    public void A_store_hands_items_out_in_order_and_blocks_putters_when_full()
    {
        var sim = new Simulation();
        var store = new Store<int>(sim, capacity: 1);
        var got = new List<int>();
        var putTimes = new List<Duration>();
        IEnumerable<Event> Producer()
        {
            for (int i = 0; i < 3; i++)
            {
                yield return store.Put(i);
                putTimes.Add(sim.Now);
            }
        }
        IEnumerable<Event> Consumer()
        {
            for (int i = 0; i < 3; i++)
            {
                yield return sim.Timeout(Ns(10));
                var get = store.Get();
                yield return get;
                got.Add((int)get.Value!);
            }
        }
        sim.Process(Producer());
        sim.Process(Consumer());
        sim.Run();
        Assert.Equal([0, 1, 2], got);
        Assert.Equal([Ns(0), Ns(10), Ns(20)], putTimes);
    }
}
