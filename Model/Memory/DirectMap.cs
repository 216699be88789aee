using TlbSim.Model.Units;

namespace TlbSim.Model.Memory;

/// <summary>Page sizes of the x86-64 direct map.</summary>
public enum PageSize
{
    /// <summary>4 KiB, a PTE: a walk reads 4 levels.</summary>
    Size4K,

    /// <summary>2 MiB, a PMD leaf: a walk reads 3 levels.</summary>
    Size2M,

    /// <summary>1 GiB, a PUD leaf: a walk reads 2 levels.</summary>
    Size1G,
}

/// <summary>Facts about page sizes.</summary>
public static class PageSizes
{
    /// <summary>Bytes in a page of this size.</summary>
    public static long Bytes(this PageSize s) => s switch
    {
        PageSize.Size4K => 4096,
        PageSize.Size2M => 2L << 20,
        _ => 1L << 30,
    };

    /// <summary>Page-table levels a walk reads to reach a leaf of this size (4-level paging).</summary>
    public static int WalkDepth(this PageSize s) => s switch
    {
        PageSize.Size4K => 4,
        PageSize.Size2M => 3,
        _ => 2,
    };
}

/// <summary>What one attribute change did to the direct map.</summary>
/// <param name="Split1G">1G pages split into 2M pages.</param>
/// <param name="Split2M">2M pages split into 4K pages.</param>
/// <param name="Merged2M">2M pages rebuilt from 4K pages (re-merge option).</param>
/// <param name="Merged1G">1G pages rebuilt from 2M pages (re-merge option).</param>
public readonly record struct DirectMapChange(int Split1G, int Split2M, int Merged2M, int Merged1G)
{
    /// <summary>Large-page splits (each is followed by a flush_tlb_all in split_large_page).</summary>
    public int Splits => Split1G + Split2M;

    /// <summary>Collapses back to large pages (each followed by a flush_tlb_all).</summary>
    public int Merges => Merged2M + Merged1G;
}

/// <summary>
/// The kernel's direct map of physical memory and its fragmentation. Memory starts mapped by 1G pages
/// (2M with <c>nogbpages</c>, 4K when forced, as XPFO does). Changing the attributes of one 4K page splits
/// its 1G page into 2M pages and its 2M page into 4K pages, as <c>__change_page_attr</c> and
/// <c>split_large_page</c> do; splits are permanent unless re-merging is on, in which case a 2M (then 1G)
/// region whose pages all have default attributes again is collapsed back, as <c>cpa_collapse_large_pages</c>
/// does for <c>set_memory_rox</c>.
/// </summary>
/// <remarks>Only the bookkeeping lives here; the costs (cpa lock, page allocation, the flush_tlb_all after a split)
/// are charged by the Linux layer that calls it. The state is sparse: only split regions and changed pages are stored,
/// so a terabyte of memory costs nothing until it fragments.</remarks>
public sealed class DirectMap
{
    private readonly HashSet<long> _split1G = [];          // 1G regions now mapped by 2M (or smaller) pages
    private readonly HashSet<long> _split2M = [];          // 2M regions now mapped by 4K pages
    private readonly Dictionary<long, int> _changedIn2M = []; // 2M region -> 4K pages with non-default attributes
    private readonly HashSet<long> _changedPages = [];     // 4K page frames with non-default attributes
    private readonly PageSize _base;

    /// <summary>Maps <paramref name="memory"/> with the largest page size allowed.</summary>
    public DirectMap(ByteSize memory, bool gbPages, bool force4K, bool remerge)
    {
        if (memory.Bytes <= 0 || memory.Bytes % PageSize.Size1G.Bytes() != 0)
            throw new ArgumentOutOfRangeException(nameof(memory), $"memory must be a positive whole number of GiB (was {memory})");
        Memory = memory;
        Remerge = remerge;
        _base = force4K ? PageSize.Size4K : gbPages ? PageSize.Size1G : PageSize.Size2M;
        Pages4K = memory.Bytes / 4096;
    }

    /// <summary>Mapped physical memory.</summary>
    public ByteSize Memory { get; }

    /// <summary>Whether regions are collapsed back once all their pages are default again.</summary>
    public bool Remerge { get; }

    /// <summary>4K page frames in memory.</summary>
    public long Pages4K { get; }

    /// <summary>The page size memory started with.</summary>
    public PageSize BaseSize => _base;

    /// <summary>Direct-map pages of 1G now.</summary>
    public long Count1G => _base == PageSize.Size1G ? Regions1G - _split1G.Count : 0;

    /// <summary>Direct-map pages of 2M now.</summary>
    public long Count2M => _base switch
    {
        PageSize.Size1G => _split1G.Count * 512L - _split2M.Count,
        PageSize.Size2M => Regions2M - _split2M.Count,
        _ => 0,
    };

    /// <summary>Direct-map pages of 4K now.</summary>
    public long Count4K => _base == PageSize.Size4K ? Pages4K : _split2M.Count * 512L;

    /// <summary>Splits of 1G pages so far.</summary>
    public long Splits1G { get; private set; }

    /// <summary>Splits of 2M pages so far.</summary>
    public long Splits2M { get; private set; }

    /// <summary>Fraction of memory mapped by pages of <paramref name="size"/>.</summary>
    public double Coverage(PageSize size) => size switch
    {
        PageSize.Size1G => (double)Count1G * PageSize.Size1G.Bytes() / Memory.Bytes,
        PageSize.Size2M => (double)Count2M * PageSize.Size2M.Bytes() / Memory.Bytes,
        _ => (double)Count4K * 4096 / Memory.Bytes,
    };

    /// <summary>The size of the page that maps 4K frame <paramref name="pfn"/> now.</summary>
    public PageSize SizeAt(long pfn)
    {
        if (_base == PageSize.Size4K || _split2M.Contains(pfn >> 9))
            return PageSize.Size4K;
        if (_base == PageSize.Size2M || _split1G.Contains(pfn >> 18))
            return PageSize.Size2M;
        return PageSize.Size1G;
    }

    /// <summary>
    /// Gives 4K frame <paramref name="pfn"/> non-default attributes (set_memory_ro/np,
    /// set_direct_map_invalid_noflush): splits whatever large page maps it. Changing a page that is already
    /// changed does nothing.
    /// </summary>
    public DirectMapChange Change(long pfn)
    {
        CheckFrame(pfn);
        if (!_changedPages.Add(pfn))
            return default;
        long r2 = pfn >> 9, r1 = pfn >> 18;
        _changedIn2M[r2] = _changedIn2M.GetValueOrDefault(r2) + 1;
        int s1 = 0, s2 = 0;
        if (_base == PageSize.Size1G && _split1G.Add(r1))
        {
            s1 = 1;
            Splits1G++;
        }
        if (_base != PageSize.Size4K && _split2M.Add(r2))
        {
            s2 = 1;
            Splits2M++;
        }
        return new DirectMapChange(s1, s2, 0, 0);
    }

    /// <summary>
    /// Returns 4K frame <paramref name="pfn"/> to default attributes (set_memory_rw,
    /// set_direct_map_default_noflush). With re-merging on, collapses its 2M region when no changed page is
    /// left in it, and its 1G region when all of its 2M regions are whole again.
    /// </summary>
    public DirectMapChange Restore(long pfn)
    {
        CheckFrame(pfn);
        if (!_changedPages.Remove(pfn))
            return default;
        long r2 = pfn >> 9, r1 = pfn >> 18;
        int left = _changedIn2M[r2] - 1;
        if (left > 0)
        {
            _changedIn2M[r2] = left;
            return default;
        }
        _changedIn2M.Remove(r2);
        if (!Remerge || _base == PageSize.Size4K)
            return default;
        int m2 = _split2M.Remove(r2) ? 1 : 0;
        int m1 = 0;
        if (_base == PageSize.Size1G && _split1G.Contains(r1) && !AnySplit2MIn(r1))
        {
            _split1G.Remove(r1);
            m1 = 1;
        }
        return new DirectMapChange(0, 0, m2, m1);
    }

    /// <summary>
    /// Gives a whole 2M-aligned region non-default attributes at once: the 2M page is changed in place
    /// (should_split_large_page finds the range covers it), so only an enclosing 1G page splits.
    /// </summary>
    public DirectMapChange Change2M(long firstPfn)
    {
        CheckFrame(firstPfn);
        if ((firstPfn & 511) != 0)
            throw new ArgumentException($"frame {firstPfn} does not start a 2M region", nameof(firstPfn));
        long r2 = firstPfn >> 9, r1 = firstPfn >> 18;
        if (_changedIn2M.ContainsKey(r2))
            return default;
        _changedIn2M[r2] = 512;
        for (long pfn = firstPfn; pfn < firstPfn + 512; pfn++)
            _changedPages.Add(pfn);
        if (_base == PageSize.Size1G && _split1G.Add(r1))
        {
            Splits1G++;
            return new DirectMapChange(1, 0, 0, 0);
        }
        return default;
    }

    /// <summary>Whether frame <paramref name="pfn"/> has non-default attributes.</summary>
    public bool IsChanged(long pfn) => _changedPages.Contains(pfn);

    private bool AnySplit2MIn(long r1)
    {
        long first = r1 << 9;
        for (long r2 = first; r2 < first + 512; r2++)
        {
            if (_split2M.Contains(r2))
                return true;
        }
        return false;
    }

    private long Regions1G => Memory.Bytes >> 30;

    private long Regions2M => Memory.Bytes >> 21;

    private void CheckFrame(long pfn)
    {
        if (pfn < 0 || pfn >= Pages4K)
            throw new ArgumentOutOfRangeException(nameof(pfn), $"frame {pfn} is outside {Memory} of memory");
    }
}
