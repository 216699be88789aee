using TlbSim.Model.Kernel;
using TlbSim.Model.Units;
using Xunit;

namespace TlbSim.Tests.Model.Kernel;

/// <summary>Does the engine's hot path (timeouts and process resumption) allocate nothing in steady state?</summary>
public class AllocationTests
{
    [Fact]
    public void Processes_looping_on_timeouts_allocate_nothing_per_event_once_warm()
    {
        var sim = new Simulation();
        IEnumerable<Event> Loop(int k)
        {
            var delay = Duration.FromNanoseconds(10 + k);
            while (true)
                yield return sim.Timeout(delay);
        }
        for (int i = 0; i < 100; i++)
            sim.Process(Loop(i));
        sim.Run(Duration.FromMicroseconds(50)); // warm: timeout pool and calendar nodes at their working size
        // The least of three windows: a one-off the runtime makes on this thread (a method compiled on the
        // stack when its loop gets hot, at a moment that depends on the machine's load) falls in one window,
        // an allocation per event falls in all three.
        long least = long.MaxValue, events = 0;
        for (int window = 1; window <= 3; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            long eventsBefore = sim.EventsProcessed;
            sim.Run(Duration.FromMicroseconds(50 + 500 * window));
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
            events = sim.EventsProcessed - eventsBefore;
        }
        Assert.True(events > 100_000, $"only {events} events");
        // The stop event of Run(until) is the one allocation per run.
        Assert.True(least < 1024, $"{least} bytes allocated over {events} events");
    }
}
