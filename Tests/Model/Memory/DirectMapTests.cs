using TlbSim.Model.Memory;
using TlbSim.Model.Units;
using Xunit;

namespace TlbSim.Tests.Model.Memory;

/// <summary>Does the direct map split, count and (optionally) re-merge the way set_memory.c does?</summary>
public class DirectMapTests
{
    [Fact]
    public void A_4K_attribute_change_on_an_untouched_1G_mapping_gives_one_1G_split_and_one_2M_split_and_a_second_change_in_the_same_2M_page_gives_none()
    {
        var map = new DirectMap(ByteSize.FromGiB(4), gbPages: true, force4K: false, remerge: false);
        Assert.Equal(4, map.Count1G);
        var first = map.Change(1000);
        Assert.Equal(new DirectMapChange(1, 1, 0, 0), first);
        Assert.Equal(3, map.Count1G);
        Assert.Equal(511, map.Count2M);
        Assert.Equal(512, map.Count4K);
        var second = map.Change(1001); // same 2M page (frames 512..1023)
        Assert.Equal(0, second.Splits);
        Assert.Equal(PageSize.Size4K, map.SizeAt(1001));
        Assert.Equal(PageSize.Size2M, map.SizeAt(5000));
        Assert.Equal(PageSize.Size1G, map.SizeAt(300_000));
    }

    [Fact]
    public void A_change_in_another_2M_page_of_a_split_1G_page_splits_only_that_2M_page()
    {
        var map = new DirectMap(ByteSize.FromGiB(2), gbPages: true, force4K: false, remerge: false);
        map.Change(0);
        Assert.Equal(new DirectMapChange(0, 1, 0, 0), map.Change(512));
        Assert.Equal(1, map.Splits1G);
        Assert.Equal(2, map.Splits2M);
    }

    [Fact]
    public void Without_gbpages_memory_starts_on_2M_pages_and_a_change_splits_one()
    {
        var map = new DirectMap(ByteSize.FromGiB(1), gbPages: false, force4K: false, remerge: false);
        Assert.Equal(512, map.Count2M);
        Assert.Equal(new DirectMapChange(0, 1, 0, 0), map.Change(7));
    }

    [Fact]
    public void A_forced_4K_direct_map_never_splits()
    {
        var map = new DirectMap(ByteSize.FromGiB(1), gbPages: true, force4K: true, remerge: false);
        Assert.Equal(262_144, map.Count4K);
        Assert.Equal(0, map.Change(7).Splits);
        Assert.Equal(1.0, map.Coverage(PageSize.Size4K));
    }

    [Fact]
    public void Splits_stay_after_the_page_is_restored_unless_remerging_is_on()
    {
        var keep = new DirectMap(ByteSize.FromGiB(1), gbPages: true, force4K: false, remerge: false);
        keep.Change(3);
        Assert.Equal(0, keep.Restore(3).Merges);
        Assert.Equal(512, keep.Count4K);

        var merge = new DirectMap(ByteSize.FromGiB(1), gbPages: true, force4K: false, remerge: true);
        merge.Change(3);
        merge.Change(4);
        Assert.Equal(0, merge.Restore(3).Merges); // frame 4 still changed
        Assert.Equal(new DirectMapChange(0, 0, 1, 1), merge.Restore(4));
        Assert.Equal(1, merge.Count1G);
    }

    [Fact]
    public void Mapping_counts_always_cover_all_of_memory()
    {
        var map = new DirectMap(ByteSize.FromGiB(8), gbPages: true, force4K: false, remerge: false);
        var rng = new Random(5);
        for (int i = 0; i < 500; i++)
        {
            map.Change(rng.NextInt64(map.Pages4K));
            long bytes = map.Count1G * (1L << 30) + map.Count2M * (2L << 20) + map.Count4K * 4096;
            Assert.Equal(map.Memory.Bytes, bytes);
        }
    }
}
