namespace TlbSim.Model.Linux;

/// <summary>A vmap area: a range of vmalloc address space, in 4K pages, guard page included (struct vmap_area).</summary>
/// <param name="Start">First page of the area in vmalloc space.</param>
/// <param name="Pages">Pages the area spans, guard page included (va_size >> PAGE_SHIFT).</param>
public readonly record struct VmapArea(long Start, long Pages)
{
    /// <summary>One page past the end.</summary>
    public long End => Start + Pages;
}

/// <summary>
/// The state of mm/vmalloc.c's lazy freeing: areas freed by <c>vunmap</c>/<c>vfree</c> keep their (stale)
/// TLB entries and their address range until a purge; <c>vmap_lazy_nr</c> counts their pages, and the span
/// from the lowest start to the highest end of the pending areas is what <c>__purge_vmap_area_lazy</c> flushes.
/// </summary>
/// <remarks>
/// Addresses come from a bump pointer that only grows: lazily freed areas are not free until purged, so new
/// areas land past them, and the purged span covers everything allocated between the oldest and the newest
/// pending area. The kernel's lowest-fit allocator (alloc_vmap_area) can also reuse holes below; the bump
/// pointer is the simplification, and it can only widen the span, which matters only around the 33-page
/// ceiling (a span of two areas allocated far apart is above it either way).
/// </remarks>
public sealed class VmallocSpace
{
    private long _next;
    private long _pendingStart = long.MaxValue;
    private long _pendingEnd = long.MinValue;

    /// <summary>Creates the space; <paramref name="lazyMaxPages"/> is lazy_max_pages() for this machine.</summary>
    public VmallocSpace(long lazyMaxPages)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lazyMaxPages, 1);
        LazyMaxPages = lazyMaxPages;
    }

    /// <summary>lazy_max_pages(): the purge threshold of <see cref="LazyPages"/>.</summary>
    public long LazyMaxPages { get; }

    /// <summary>vmap_lazy_nr: pages of areas freed and not yet purged.</summary>
    public long LazyPages { get; private set; }

    /// <summary>Areas freed and not yet purged.</summary>
    public long LazyAreas { get; private set; }

    /// <summary>Purges that found something to flush.</summary>
    public long Purges { get; private set; }

    /// <summary>
    /// lazy_max_pages(): 32 MiB worth of 4K pages times fls(num_online_cpus()), so the threshold grows with
    /// the log of the CPU count.
    /// </summary>
    public static long LazyMax(long lazyBytes, int onlineCpus)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(onlineCpus, 1);
        int fls = 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)onlineCpus);
        return lazyBytes / 4096 * fls;
    }

    /// <summary>alloc_vmap_area: a new area of <paramref name="pages"/> pages plus the guard page (vmap and vmalloc areas carry one unless VM_NO_GUARD).</summary>
    public VmapArea Allocate(long pages)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pages, 1);
        var area = new VmapArea(_next, pages + 1);
        _next = area.End;
        return area;
    }

    /// <summary>
    /// free_vmap_area_noflush: the area joins the purge list and its pages add to vmap_lazy_nr. Returns true
    /// when vmap_lazy_nr has passed lazy_max_pages(), which is when the kernel schedules drain_vmap_work.
    /// </summary>
    public bool FreeLazily(VmapArea area)
    {
        LazyPages += area.Pages;
        LazyAreas++;
        _pendingStart = Math.Min(_pendingStart, area.Start);
        _pendingEnd = Math.Max(_pendingEnd, area.End);
        return LazyPages > LazyMaxPages;
    }

    /// <summary>
    /// Starts a run in the middle of the kernel's steady state: <paramref name="pages"/> lazily freed pages
    /// already pending, as one span of freed areas interleaved with live ones (twice as wide as the freed pages).
    /// </summary>
    public void Preload(long pages, long areas)
    {
        if (pages <= 0)
            return;
        var area = new VmapArea(_next, 2 * pages);
        _next = area.End;
        LazyPages += pages;
        LazyAreas += Math.Max(1, areas);
        _pendingStart = Math.Min(_pendingStart, area.Start);
        _pendingEnd = Math.Max(_pendingEnd, area.End);
    }

    /// <summary>
    /// Takes every pending area off the purge list (the purge of __purge_vmap_area_lazy) and returns the span to
    /// flush in pages, from the lowest start to the highest end, and the number of areas; (0, 0) when nothing
    /// was pending.
    /// </summary>
    public (long SpanPages, long Areas) TakePending()
    {
        if (LazyAreas == 0)
            return (0, 0);
        long span = _pendingEnd - _pendingStart;
        long areas = LazyAreas;
        LazyPages = 0;
        LazyAreas = 0;
        _pendingStart = long.MaxValue;
        _pendingEnd = long.MinValue;
        Purges++;
        return (span, areas);
    }
}
