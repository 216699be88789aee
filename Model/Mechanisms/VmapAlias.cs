using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Memory;

namespace TlbSim.Model.Mechanisms;

/// <summary>
/// vmap_alias: the write goes through a freshly vmap'ed writable alias of the read-only page; removing the
/// alias (vunmap) must flush it from every CPU before the virtual address can be reused
/// (flush_tlb_kernel_range of one 4K vmalloc page).
/// </summary>
public sealed class VmapAlias : IMechanism
{
    /// <inheritdoc />
    public string Name => "vmap_alias";

    /// <inheritdoc />
    public string KernelPath => "vmap (one PTE in vmalloc space) + write + vunmap + flush_tlb_kernel_range(1 page) on every CPU";

    /// <inheritdoc />
    public IEnumerable<Event> Operate(MechanismContext context, Cpu cpu) => Remap(context, cpu, 1);

    /// <summary>One alias write cycle, repeated <paramref name="remaps"/> times (prlist builds on this).</summary>
    internal static IEnumerable<Event> Remap(MechanismContext context, Cpu cpu, int remaps)
    {
        var p = context.Params;
        for (int i = 0; i < remaps; i++)
        {
            context.Remaps++;
            foreach (var e in cpu.Run(p.Vmap + p.Write + p.Vunmap, TimeCategory.Kernel))
                yield return e;
            // The alias lives in vmalloc space, mapped by 4K pages: the INVLPG knocks out only the alias.
            foreach (var e in context.Kernel.FlushTlbKernelRange(cpu, 1, PageSize.Size4K))
                yield return e;
        }
    }
}
