using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Memory;

namespace TlbSim.Model.Mechanisms;

/// <summary>
/// vmap_alias: the write goes through a freshly vmap'ed writable alias of the read-only page, which is then
/// vunmap'ed. vunmap clears the alias's PTE without a flush and frees its area lazily (free_vmap_area_noflush):
/// with <c>alias_flush: lazy</c> that is all, and the stale writable translation stays in TLBs until a purge
/// (when vmap_lazy_nr passes lazy_max_pages(), or the next set_memory_* calls vm_unmap_aliases) flushes it
/// for everyone; with <c>alias_flush: eager</c> the design flushes the alias on every CPU before returning
/// (flush_tlb_kernel_range of the page), and the area is still freed lazily.
/// </summary>
public sealed class VmapAlias : IMechanism
{
    /// <inheritdoc />
    public string Name => "vmap_alias";

    /// <inheritdoc />
    public string KernelPath => "vmap (one page + guard in vmalloc space) + write + vunmap (vunmap_range_noflush, free_vmap_area_noflush: vmap_lazy_nr += 2; past lazy_max_pages() drain_vmap_work runs __purge_vmap_area_lazy in a kworker); eager: + flush_tlb_kernel_range(1 page) on every CPU";

    /// <inheritdoc />
    public IEnumerable<Event> Operate(MechanismContext context, Cpu cpu) => Remap(context, cpu, 1);

    /// <summary>One alias write cycle, repeated <paramref name="remaps"/> times (prlist builds on this).</summary>
    internal static IEnumerable<Event> Remap(MechanismContext context, Cpu cpu, int remaps)
    {
        var p = context.Params;
        var kernel = context.Kernel;
        for (int i = 0; i < remaps; i++)
        {
            context.Remaps++;
            var alias = kernel.Vmap(1);
            foreach (var e in cpu.Run(p.Vmap + p.Write + p.Vunmap, TimeCategory.Kernel))
                yield return e;
            kernel.VunmapNoflush(cpu, alias);
            if (p.AliasFlush == AliasFlush.Eager)
            {
                // The alias lives in vmalloc space, mapped by 4K pages: the INVLPG knocks out only the alias.
                foreach (var e in kernel.FlushTlbKernelRange(cpu, 1, PageSize.Size4K))
                    yield return e;
            }
        }
    }
}
