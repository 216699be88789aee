using TlbSim.Model.Hardware;
using TlbSim.Model.Linux;
using TlbSim.Model.Memory;
using TlbSim.Model.Units;
using Xunit;

namespace TlbSim.Tests.Model.Linux;

/// <summary>Does the vmalloc layer free lazily and purge the way mm/vmalloc.c does, and does cpa pay for it?</summary>
public class VmallocTests
{
    [Theory]
    [InlineData(1, 8192)]
    [InlineData(4, 3 * 8192)]
    [InlineData(64, 7 * 8192)]
    [InlineData(256, 9 * 8192)]
    public void Lazy_max_pages_is_32_MiB_of_pages_times_fls_of_the_online_CPU_count(int cpus, long expected)
    {
        Assert.Equal(expected, VmallocSpace.LazyMax(32L << 20, cpus));
    }

    [Fact]
    public void A_vmap_of_one_page_takes_a_two_page_area_because_of_its_guard_page()
    {
        var space = new VmallocSpace(100);
        var area = space.Allocate(1);
        Assert.Equal(2, area.Pages);
        space.FreeLazily(area);
        Assert.Equal(2, space.LazyPages);
    }

    [Fact]
    public void A_vunmap_of_an_alias_sends_no_IPI_until_lazy_pages_pass_lazy_max_pages()
    {
        var h = new Harness(Harness.Cpus(4));
        long max = h.Kernel.Vmalloc.LazyMaxPages;
        long freesBeforePurge = max / 2 + 1; // 2 pages each: the last one passes the threshold
        IEnumerable<TlbSim.Model.Kernel.Event> Program(Cpu c)
        {
            for (long i = 0; i < freesBeforePurge - 1; i++)
                h.Kernel.VunmapNoflush(c, h.Kernel.Vmap(1));
            Assert.False(c.HasQueuedWork);
            Assert.Equal(0, h.Machine.Bus.IpisSent);
            h.Kernel.VunmapNoflush(c, h.Kernel.Vmap(1)); // vmap_lazy_nr > lazy_max_pages: drain_vmap_work is queued, not run
            Assert.True(c.HasQueuedWork);
            Assert.Equal(0, h.Machine.Bus.IpisSent);
            foreach (var e in c.RunQueuedWork()) // the kworker
                yield return e;
        }
        h.Once(0, Program);
        for (int i = 1; i < 4; i++)
            h.Busy(i);
        h.RunFor(2000);
        Assert.Equal(1, h.Kernel.Vmalloc.Purges);
        Assert.Equal(0, h.Kernel.Vmalloc.LazyPages);
        // The purged span is far above the 33-page ceiling: one flush_tlb_all, an IPI to each other CPU.
        Assert.Equal(3, h.Machine.Bus.IpisSent);
        Assert.Equal(4, h.Kernel.FullFlushes);
    }

    [Fact]
    public void A_purge_of_a_span_within_the_ceiling_invalidates_page_by_page_instead_of_flushing_all()
    {
        var h = new Harness(Harness.Cpus(4));
        h.Once(0, c =>
        {
            h.Kernel.VunmapNoflush(c, h.Kernel.Vmap(1));
            h.Kernel.VunmapNoflush(c, h.Kernel.Vmap(3)); // areas of 2 and 4 pages, adjacent: a 6-page span
            return h.Kernel.VmUnmapAliases(c);
        });
        for (int i = 1; i < 4; i++)
            h.Busy(i);
        h.RunFor(1000);
        Assert.Equal(0, h.Kernel.FullFlushes);
        Assert.Equal(4 * 6, h.Kernel.PageInvalidations);
    }

    [Fact]
    public void Set_memory_ro_pays_a_purge_flush_first_whenever_lazily_freed_areas_are_pending()
    {
        long FullFlushes(bool pending)
        {
            var h = new Harness(Harness.Cpus(4));
            long pfn = h.Machine.DirectMap.Pages4K / 2;
            h.Machine.DirectMap.Change(pfn); // already split, so the only flushes are the purge's and cpa_flush's
            h.Machine.DirectMap.Restore(pfn);
            h.Once(0, c =>
            {
                if (pending)
                    h.Kernel.Vmalloc.Preload(5000, 1000);
                return h.Kernel.SetMemoryRo(c, pfn, 1);
            });
            for (int i = 1; i < 4; i++)
                h.Busy(i);
            h.RunFor(1000);
            return h.Kernel.FullFlushes;
        }
        Assert.Equal(0, FullFlushes(pending: false)); // cpa_flush of one page: INVLPG on every CPU
        Assert.Equal(4, FullFlushes(pending: true)); // plus vm_unmap_aliases' flush_tlb_all
    }

    [Fact]
    public void Set_direct_map_invalid_noflush_does_not_purge_lazily_freed_areas()
    {
        var h = new Harness(Harness.Cpus(4));
        long pfn = h.Machine.DirectMap.Pages4K / 2;
        h.Machine.DirectMap.Change(pfn + 1); // pre-split the region
        h.Once(0, c =>
        {
            h.Kernel.Vmalloc.Preload(5000, 1000);
            return h.Kernel.SetDirectMapInvalidNoflush(c, pfn);
        });
        h.RunFor(1000);
        Assert.Equal(5000, h.Kernel.Vmalloc.LazyPages);
        Assert.Equal(0, h.Machine.Bus.IpisSent);
    }

    [Fact]
    public void Set_memory_ro_on_vmalloc_memory_changes_the_direct_map_alias_and_flushes_everything_even_for_one_page()
    {
        var h = new Harness(Harness.Cpus(4));
        long pfn = h.Machine.DirectMap.Pages4K / 2;
        h.Once(0, c => h.Kernel.SetMemoryRoVmalloc(c, pfn, 1));
        for (int i = 1; i < 4; i++)
            h.Busy(i);
        h.RunFor(1000);
        Assert.True(h.Machine.DirectMap.IsChanged(pfn));
        // Two splits of the alias (1G -> 2M -> 4K), each with flush_tlb_all, then cpa_flush's flush_tlb_all (force_flush_all).
        Assert.Equal(3 * 4, h.Kernel.FullFlushes);
        Assert.Equal(0, h.Kernel.PageInvalidations);
    }
}
