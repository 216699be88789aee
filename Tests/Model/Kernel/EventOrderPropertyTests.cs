using FsCheck;
using FsCheck.Fluent;
using TlbSim.Model.Kernel;
using Xunit;

namespace TlbSim.Tests.Model.Kernel;

/// <summary>Do random schedules, including events that schedule more events while processed, come out in order?</summary>
public class EventOrderPropertyTests
{
    private static readonly Config Checks = Config.QuickThrowOnFailure.WithMaxTest(200).WithReplay(12345UL, 67891UL).WithQuietOnSuccess(true);

    /// <summary>One scheduled event: delay in ps (small, to force ties), priority, and how many children it schedules when processed.</summary>
    public record struct Plan(byte Delay, byte Priority, byte Children);

    private static List<(long Time, int Priority, long Sequence)> RunPlan(Plan[] plans)
    {
        var sim = new Simulation();
        var seen = new List<(long, int, long)>();
        int next = 0;
        void ScheduleNext()
        {
            if (next >= plans.Length)
                return;
            var p = plans[next++];
            var e = new Event(sim);
            e.AddCallback(ev =>
            {
                seen.Add((ev.Time.Picoseconds, (int)ev.Priority, ev.Sequence));
                for (int c = 0; c < p.Children % 3; c++)
                    ScheduleNext();
            });
            sim.Schedule(e, p.Delay % 8, (EventPriority)(1 + p.Priority % 4));
        }
        for (int i = 0; i < 4; i++)
            ScheduleNext();
        while (next < plans.Length || sim.PendingEvents > 0)
        {
            if (!sim.Step())
                ScheduleNext();
        }
        return seen;
    }

    [Fact]
    public void Random_schedules_come_out_in_nondecreasing_time_priority_sequence_order()
    {
        Prop.ForAll<Plan[]>(plans =>
        {
            var seen = RunPlan(plans);
            for (int i = 1; i < seen.Count; i++)
            {
                var (t0, p0, s0) = seen[i - 1];
                var (t1, p1, s1) = seen[i];
                bool ordered = t0 < t1 || (t0 == t1 && (p0 < p1 || (p0 == p1 && s0 < s1)))
                    // An event scheduled for the current instant may carry a more urgent priority than the one just processed.
                    || (t0 == t1 && s1 > s0);
                if (!ordered)
                    return false;
            }
            return seen.Count == plans.Length;
        }).Check(Checks);
    }

    [Fact]
    public void Pending_events_are_always_processed_in_key_order()
    {
        // Stronger form: at every step, the processed event is the minimum of everything pending at that moment.
        Prop.ForAll<Plan[]>(plans =>
        {
            var sim = new Simulation();
            var pending = new SortedSet<(long, int, long)>();
            bool ok = true;
            foreach (var p in plans)
            {
                var e = new Event(sim);
                sim.Schedule(e, p.Delay, (EventPriority)(1 + p.Priority % 4));
                pending.Add((e.Time.Picoseconds, (int)e.Priority, e.Sequence));
                e.AddCallback(ev =>
                {
                    var key = (ev.Time.Picoseconds, (int)ev.Priority, ev.Sequence);
                    ok &= pending.Min == key;
                    pending.Remove(key);
                    if (p.Children % 2 == 1)
                    {
                        var child = new Event(sim);
                        sim.Schedule(child, p.Children % 5, (EventPriority)(1 + p.Children % 4));
                        var childKey = (child.Time.Picoseconds, (int)child.Priority, child.Sequence);
                        pending.Add(childKey);
                        child.AddCallback(c =>
                        {
                            ok &= pending.Min == childKey;
                            pending.Remove(childKey);
                        });
                    }
                });
            }
            sim.Run();
            return ok && pending.Count == 0;
        }).Check(Checks);
    }
}
