using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Linux;
using TlbSim.Model.Units;
using Xunit;

namespace TlbSim.Tests.Model.Linux;

/// <summary>Does fragmenting the direct map cost every CPU kernel TLB misses, and does a split cost global flushes?</summary>
public class FragmentationTests
{
    [Fact]
    public void Fragmenting_the_direct_map_raises_kernel_TLB_misses_on_every_CPU()
    {
        var h = new Harness(Harness.Cpus(4) with { Memory = ByteSize.FromGiB(8) });
        for (int i = 0; i < 4; i++)
            h.Busy(i);
        h.RunFor(1000);
        var before = h.Machine.Cpus.Select(c => c.KernelWalks).ToArray();
        var allBefore = h.Machine.Cpus.Select(c => c.Walks).ToArray();
        var beforeTime = h.Machine.Cpus.Select(c => c.TimeIn(TimeCategory.Walk)).ToArray();
        // Change one page in every 2M region of the first 4 GiB: 4 1G splits and 2048 2M splits.
        for (long pfn = 0; pfn < (4L << 30) / 4096; pfn += 512)
            h.Machine.DirectMap.Change(pfn);
        h.Machine.DirectMapChanged();
        h.RunFor(1000);
        for (int i = 0; i < 4; i++)
        {
            double kernelBefore = before[i];
            double kernelAfter = h[i].KernelWalks - before[i];
            Assert.True(kernelAfter > 2 * kernelBefore + 10, $"cpu{i}: {kernelAfter} kernel walks after vs {kernelBefore} before");
            Assert.True(h[i].Walks - allBefore[i] > allBefore[i], $"cpu{i}: total walks did not rise");
            Assert.True(h[i].TimeIn(TimeCategory.Walk) - beforeTime[i] > beforeTime[i]);
        }
    }

    [Fact]
    public void Set_memory_ro_on_an_untouched_1G_page_flushes_all_CPUs_for_each_split_and_once_for_the_change()
    {
        var h = new Harness(Harness.Cpus(4));
        h.Once(0, c => h.Kernel.SetMemoryRo(c, 1000, 1));
        for (int i = 1; i < 4; i++)
            h.Busy(i);
        h.RunFor(2000);
        Assert.Equal(1, h.Machine.DirectMap.Splits1G);
        Assert.Equal(1, h.Machine.DirectMap.Splits2M);
        Assert.Equal(3, h.Kernel.Shootdowns); // flush_tlb_all after each split, then cpa_flush
        Assert.Equal(2 * 4, h.Kernel.FullFlushes);
        Assert.Equal(4, h.Kernel.PageInvalidations);
        Assert.Equal(3 * 3, h.Machine.Bus.IpisSent);
    }

    [Fact]
    public void Global_flushes_make_busy_CPUs_refill_their_live_translations()
    {
        var h = new Harness(Harness.Cpus(2));
        h.Once(0, c => Repeat(20, () => h.Kernel.FlushTlbAll(c)), startUs: 10);
        h.Busy(1);
        h.RunFor(500);
        Assert.True(h[1].LiveEntriesLost > 20, $"lost {h[1].LiveEntriesLost}");
    }

    private static IEnumerable<Event> Repeat(int n, Func<IEnumerable<Event>> body)
    {
        for (int i = 0; i < n; i++)
        {
            foreach (var e in body())
                yield return e;
        }
    }
}
