using TlbSim.Model.Hardware;
using TlbSim.Model.Linux;
using TlbSim.Model.Memory;
using Xunit;

namespace TlbSim.Tests.Model.Linux;

/// <summary>Do task switches load mms and take owed flushes the way context_switch and switch_mm_irqs_off do?</summary>
public class ContextSwitchTests
{
    [Fact]
    public void A_CPU_that_switched_to_another_process_gets_no_IPI_for_the_old_mm_and_flushes_that_PCID_when_it_switches_back()
    {
        var h = new Harness(Harness.Cpus(2, shorthand: false));
        var a = new TaskStruct(1, h.MmOn(0, 1));
        var b = new TaskStruct(2, new AddressSpace(7, "other"));
        IEnumerable<TlbSim.Model.Kernel.Event> Cpu1(Cpu c)
        {
            foreach (var e in h.Kernel.ContextSwitch(c, b, TimeCategory.Workload))
                yield return e;
            foreach (var e in c.Idle(TlbSim.Model.Units.Duration.FromMicroseconds(20)))
                yield return e;
            long before = h.Kernel.FullFlushes;
            foreach (var e in h.Kernel.ContextSwitch(c, a, TimeCategory.Workload))
                yield return e;
            Assert.Equal(before + 1, h.Kernel.FullFlushes); // the tlb_gen check: it missed a flush of a's mm
            Assert.Equal(a.Mm, c.LoadedMm);
        }
        h.Machine.Start(h[1], Cpu1);
        h.Once(0, c => h.Kernel.FlushTlbMmRange(c, a.Mm, 1, freedTables: false), startUs: 5);
        h.RunFor(100);
        Assert.Equal(0, h.Machine.Bus.IpisSent); // should_flush_tlb: cpu1 no longer has the mm loaded
    }

    [Fact]
    public void A_flush_pending_in_xpfo_v9_s_global_mask_is_taken_at_the_CPU_s_next_switch_to_any_task_once_however_many_were_posted()
    {
        var h = new Harness(Harness.Cpus(4));
        h.Kernel.PostXpfoFlushToOthers(h[0]);
        h.Kernel.PostXpfoFlushToOthers(h[0]);
        h.Kernel.PostXpfoFlushToOthers(h[3]); // cpu3's own bit, set by cpu0's posts, stays set (cpumask_or)
        var flushes = new List<long>();
        IEnumerable<TlbSim.Model.Kernel.Event> Program(Cpu c, int task)
        {
            foreach (var e in h.Kernel.ContextSwitch(c, new TaskStruct(task, new AddressSpace(task, $"t{task}")), TimeCategory.Workload))
                yield return e;
            foreach (var e in h.Kernel.ContextSwitch(c, new TaskStruct(task + 10, new AddressSpace(task + 10, $"t{task + 10}")), TimeCategory.Workload))
                yield return e;
        }
        h.Machine.Start(h[0], c => Program(c, 1)); // cpu0 owes one to cpu3's post
        h.Machine.Start(h[2], c => Program(c, 2));
        h.Machine.Start(h[3], c => Program(c, 3));
        h.RunFor(10);
        // One full flush each for cpu0, cpu2 and cpu3 at their first switch, none at the second.
        Assert.Equal(3, h.Kernel.FullFlushes);
    }

    [Fact]
    public void A_task_carrying_a_pending_flush_makes_the_CPU_that_switches_to_it_flush_fully_once()
    {
        var h = new Harness(Harness.Cpus(4));
        var task = new TaskStruct(1, h.MmOn(0));
        task.PostFlushToOthers(4, except: 0);
        Assert.False(task.OwesFlush(0));
        long flushes = 0;
        IEnumerable<TlbSim.Model.Kernel.Event> Program(Cpu c)
        {
            foreach (var e in h.Kernel.ContextSwitch(c, task, TimeCategory.Workload))
                yield return e;
            flushes = h.Kernel.FullFlushes;
            foreach (var e in h.Kernel.ContextSwitch(c, new TaskStruct(2, new AddressSpace(8, "x")), TimeCategory.Workload))
                yield return e;
            foreach (var e in h.Kernel.ContextSwitch(c, task, TimeCategory.Workload))
                yield return e;
        }
        h.Machine.Start(h[2], Program);
        h.RunFor(10);
        Assert.Equal(1, flushes);
        Assert.Equal(1, h.Kernel.FullFlushes); // the second switch to the task owes nothing
        Assert.True(task.OwesFlush(1) && task.OwesFlush(3) && !task.OwesFlush(2));
    }

    [Fact]
    public void A_CPU_that_enters_a_state_that_loses_the_TLB_leaves_its_mm_and_loads_it_again_with_a_CR3_write_when_it_resumes()
    {
        var h = new Harness(Harness.Cpus(2));
        var task = new TaskStruct(1, h.MmOn(1));
        IEnumerable<TlbSim.Model.Kernel.Event> Program(Cpu c)
        {
            LinuxKernel.EnterLazyTlb(c);
            Assert.True(c.IsLazy);
            foreach (var e in c.Idle(TlbSim.Model.Units.Duration.FromMilliseconds(2))) // long enough for C6
                yield return e;
            Assert.Null(c.LoadedMm); // leave_mm in cpuidle_enter_state
            Assert.False(c.IsLazy);
            var before = c.TimeIn(TimeCategory.Workload);
            foreach (var e in h.Kernel.ContextSwitch(c, task, TimeCategory.Workload))
                yield return e;
            Assert.Equal(task.Mm, c.LoadedMm);
            Assert.True(c.TimeIn(TimeCategory.Workload) > before, "loading the mm again is a CR3 write");
        }
        h.Machine.Start(h[1], Program);
        h.RunFor(3000);
    }
}
