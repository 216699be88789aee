using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Linux;
using TlbSim.Model.Units;
using Xunit;

namespace TlbSim.Tests.Model.Linux;

/// <summary>
/// Do the locks a loop of faults and madvise contends on behave as the kernel's do: the node's lru_lock taken
/// once per lru_add batch (or twice per madvise with lru_add_drain on zap), queued spinlocks served in order
/// with the lock word and the data moving between CPUs, rwsems that make a late reader wait for a waiting
/// writer, and a gather that finds another of the same mm in progress flushing the whole mm?
/// </summary>
public class ContentionTests
{
    private static IEnumerable<Event> Repeat(int n, Func<IEnumerable<Event>> body)
    {
        for (int i = 0; i < n; i++)
        {
            foreach (var e in body())
                yield return e;
        }
    }

    [Theory]
    [InlineData(false, 62, 6)] // per batch of 31: moved to the LRU, its 30 zapped folios freed, then the 31st (on the LRU by then) freed alone
    [InlineData(true, 62, 124)] // every madvise drains the one new folio, then frees it
    public void Lru_lock_is_taken_three_times_per_batch_of_faults_or_twice_per_madvise_when_zap_drains_the_batch(bool drainOnZap, int iterations, long acquisitions)
    {
        var h = new Harness(Harness.Cpus(2), new KernelParams { LruDrainOnZap = drainOnZap });
        var mm = h.MmOn(0);
        var vma = h.Kernel.VmaOf(mm);
        var timed = h.Once(0, c => Repeat(iterations, () => h.Kernel.AnonFault(c, vma).Concat(h.Kernel.MadviseDontneed(c, vma, 1, freed: 1))));
        h.RunFor(iterations * 5.0);
        Assert.NotNull(timed.End);
        Assert.Equal(acquisitions, h.Kernel.LruLock(h[0]).Acquisitions);
        Assert.Equal(0, h.Kernel.LruLock(h[0]).Contended);
    }

    [Fact]
    public void One_thread_pays_the_same_per_iteration_with_and_without_lru_add_drain_on_zap()
    {
        // lru_per_folio is carved out of the fault and the zap: alone, a thread pays it once per folio either way.
        Duration Iteration(bool drain)
        {
            var h = new Harness(Harness.Cpus(2), new KernelParams { LruDrainOnZap = drain });
            var vma = h.Kernel.VmaOf(h.MmOn(0));
            var timed = h.Once(0, c => Repeat(310, () => h.Kernel.AnonFault(c, vma).Concat(h.Kernel.MadviseDontneed(c, vma, 1, freed: 1))));
            h.RunFor(3000);
            return new Duration(timed.Latency.Picoseconds / 310);
        }
        Assert.Equal(Iteration(false).TotalNanoseconds, Iteration(true).TotalNanoseconds, 0.5);
    }

    [Fact]
    public void A_contended_spinlock_serves_waiters_in_arrival_order_and_each_hand_off_moves_the_lock_word()
    {
        var h = new Harness(Harness.Cpus(4));
        var lockA = new QueuedSpinlock(h.Sim, "test_lock", dataLines: 0);
        var order = new List<int>();
        var hold = Duration.FromMicroseconds(1);
        foreach (int c in new[] { 0, 1, 2, 3 })
        {
            int id = c;
            h.Once(id, cpu => Body(cpu), startUs: 1 + 0.1 * id);
            IEnumerable<Event> Body(Cpu cpu)
            {
                foreach (var e in lockA.LockIrqSave(cpu, hold))
                    yield return e;
                order.Add(id);
            }
        }
        h.RunFor(20);
        Assert.Equal(new[] { 0, 1, 2, 3 }, order);
        Assert.Equal(4, lockA.Acquisitions);
        Assert.Equal(3, lockA.Contended);
        Assert.Equal(3, lockA.HandOffs);
        Assert.True(h[3].TimeIn(TimeCategory.Lock) > Duration.FromMicroseconds(2.5), "the last waiter spins through three holds");
    }

    [Fact]
    public void A_reader_arriving_after_a_waiting_writer_waits_for_the_writer()
    {
        var h = new Harness(Harness.Cpus(3));
        var sem = new RwSemaphore(h.Sim, "test_sem");
        Duration? readerIn = null, writerIn = null;
        h.Once(0, c => Hold(c, sem.DownRead(c), () => sem.UpRead(c), 5, null), startUs: 1);
        h.Once(1, c => Hold(c, sem.DownWrite(c), () => sem.UpWrite(c), 2, t => writerIn = t), startUs: 2);
        h.Once(2, c => Hold(c, sem.DownRead(c), () => sem.UpRead(c), 1, t => readerIn = t), startUs: 3);
        IEnumerable<Event> Hold(Cpu c, IEnumerable<Event> down, Func<IEnumerable<Event>> up, double us, Action<Duration>? entered)
        {
            foreach (var e in down)
                yield return e;
            entered?.Invoke(h.Sim.Now);
            foreach (var e in c.Run(Duration.FromMicroseconds(us), TimeCategory.Kernel))
                yield return e;
            foreach (var e in up())
                yield return e;
        }
        h.RunFor(30);
        Assert.True(writerIn >= Duration.FromMicroseconds(6), $"the writer waits for the first reader to leave at 6 us, entered at {writerIn}");
        Assert.True(readerIn >= writerIn + Duration.FromMicroseconds(2), $"the second reader waits behind the writer, entered at {readerIn}");
    }

    [Fact]
    public void A_madvise_that_overlaps_another_threads_gather_of_the_mm_flushes_the_whole_mm_with_freed_tables()
    {
        var h = new Harness(Harness.Cpus(4));
        var mm = h.MmOn(0, 1, 2, 3);
        var vma = h.Kernel.VmaOf(mm);
        h.Busy(2);
        h.Busy(3);
        var first = h.Once(0, c => h.Kernel.MadviseDontneed(c, vma, 1, freed: 0), startUs: 1);
        var second = h.Once(1, c => h.Kernel.MadviseDontneed(c, vma, 1, freed: 0), startUs: 1.05);
        h.RunFor(50);
        Assert.NotNull(first.End);
        Assert.NotNull(second.End);
        Assert.True(h.Kernel.NestedFlushes >= 1, "at least one gather finds the other in progress (mm_tlb_flush_nested)");
        Assert.True(h.Kernel.FullFlushes >= 1, "and flushes the whole mm instead of one page");
    }

    [Fact]
    public void Alone_a_madvise_flushes_only_its_range()
    {
        var h = new Harness(Harness.Cpus(2));
        var vma = h.Kernel.VmaOf(h.MmOn(0, 1));
        h.Busy(1);
        var timed = h.Once(0, c => Repeat(10, () => h.Kernel.MadviseDontneed(c, vma, 1, freed: 0)));
        h.RunFor(100);
        Assert.NotNull(timed.End);
        Assert.Equal(0, h.Kernel.NestedFlushes);
        Assert.Equal(0, h.Kernel.FullFlushes);
    }

    [Fact]
    public void A_fault_waits_for_a_concurrent_mprotect_of_its_VMA_to_finish_its_flush()
    {
        // mprotect_fixup write-locks the VMA (vma_start_write) and the flush runs before mmap_write_unlock.
        var h = new Harness(Harness.Cpus(3));
        var mm = h.MmOn(0, 1, 2);
        h.Busy(2);
        var protect = h.Once(0, c => h.Kernel.Mprotect(c, mm, 1), startUs: 1);
        var fault = h.Once(1, c => h.Kernel.AnonFault(c, h.Kernel.VmaOf(mm)), startUs: 1.3);
        h.RunFor(50);
        Assert.NotNull(protect.End);
        Assert.NotNull(fault.End);
        Assert.True(fault.End >= protect.End, $"the fault ended at {fault.End}, before mprotect's unlock at {protect.End}");
    }

    [Fact]
    public void A_reader_waiting_behind_munmap_s_write_lock_enters_at_its_downgrade_before_its_flush()
    {
        var h = new Harness(Harness.Cpus(4));
        var mm = h.MmOn(0, 1, 2, 3);
        h.Busy(2);
        h.Busy(3);
        var vma = h.Kernel.VmaOf(mm);
        var unmap = h.Once(0, c => h.Kernel.Munmap(c, vma, 256, present: 256, freed: 0), startUs: 1);
        TlbSim.Model.Units.Duration? readerIn = null;
        h.Once(1, c => Read(c), startUs: 1.5);
        IEnumerable<Event> Read(Cpu c)
        {
            foreach (var e in h.Kernel.MmapLock(mm).DownRead(c))
                yield return e;
            readerIn = h.Sim.Now;
            foreach (var e in h.Kernel.MmapLock(mm).UpRead(c))
                yield return e;
        }
        h.RunFor(100);
        Assert.NotNull(unmap.End);
        Assert.True(readerIn < unmap.End, $"the reader entered at {readerIn}, munmap ended at {unmap.End}");
    }
}
