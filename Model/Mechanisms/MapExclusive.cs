using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Memory;

namespace TlbSim.Model.Mechanisms;

/// <summary>
/// map_exclusive: MAP_EXCLUSIVE / memfd_secret (seed 003). Each page faulted into the mapping leaves the
/// direct map (secretmem_fault: set_direct_map_invalid_noflush, which splits its 1G and 2M pages, then
/// flush_tlb_kernel_range of the page on every CPU); when the mapping is trimmed the page returns
/// (set_direct_map_default_noflush, no flush). The pages come from the page allocator: with
/// <c>exclusive_placement: buddy</c> consecutive faults walk through one 4 MiB block before the next (so a
/// 2M split serves many pages), with <c>uniform</c> from anywhere in memory, so each new page risks a "1GB
/// blast radius" of demoted mappings. With the chunk cache, pages come from 2M chunks removed
/// from the direct map whole: one 1G split and one flush serve 512 pages.
/// </summary>
public sealed class MapExclusive : IMechanism
{
    private readonly Queue<long> _resident = new();
    private long _chunk = -1;
    private int _chunkUsed = 512;

    /// <inheritdoc />
    public string Name => "map_exclusive";

    /// <inheritdoc />
    public IReadOnlySet<string>? ParamsRead { get; } = new HashSet<string>(StringComparer.Ordinal) { "chunk_cache", "exclusive_placement", "exclusive_resident_pages" };

    /// <inheritdoc />
    public string KernelPath => "page fault (alloc_pages: buddy or uniform frames) + set_direct_map_invalid_noflush (splits, each with flush_tlb_all) + flush_tlb_kernel_range(1 page); unmap: set_direct_map_default_noflush; chunk cache: one 2M chunk per 512 pages";

    /// <inheritdoc />
    public IEnumerable<Event> Operate(MechanismContext context, Cpu cpu)
    {
        var kernel = context.Kernel;
        foreach (var e in kernel.AnonFault(cpu, kernel.VmaOf(context.UserMm)))
            yield return e;
        if (context.Params.ChunkCache)
        {
            if (_chunkUsed == 512)
            {
                // The cache refills with an order-9 allocation, placed like the pages themselves.
                _chunk = context.Params.ExclusivePlacement == FramePlacement.Buddy
                    ? context.AllocFrames(512)
                    : context.Random.NextInt64(context.Machine.DirectMap.Pages4K / 512) * 512;
                _chunkUsed = 0;
                foreach (var e in kernel.RemoveChunkFromDirectMap(cpu, _chunk))
                    yield return e;
            }
            _chunkUsed++; // the cached chunk is already out of the direct map: no change, no flush
            yield break;
        }
        long pfn = context.Params.ExclusivePlacement == FramePlacement.Buddy ? context.AllocFrame() : context.RandomFrame();
        foreach (var e in kernel.SetDirectMapInvalidNoflush(cpu, pfn))
            yield return e;
        foreach (var e in kernel.FlushTlbKernelRange(cpu, 1, context.Machine.DirectMap.SizeAt(pfn)))
            yield return e;
        _resident.Enqueue(pfn);
        if (_resident.Count > context.Params.ExclusiveResidentPages)
        {
            foreach (var e in kernel.SetDirectMapDefaultNoflush(cpu, _resident.Dequeue()))
                yield return e;
        }
    }
}
