using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;

namespace TlbSim.Model.Mechanisms;

/// <summary>
/// prlist: insertion into a protected doubly linked list, each write through a vmap alias (seed 001).
/// Per-field remapping remaps once per written field (new->next, new->prev, prev->next, next->prev and
/// their RCU/hlist companions: 8); node-grouped remapping maps each touched node once (2). Each remap is a
/// vmap_alias cycle, flushed lazily or eagerly as <c>alias_flush</c> says.
/// </summary>
public sealed class Prlist : IMechanism
{
    /// <summary>Remaps per insertion with per-field remapping.</summary>
    public const int PerFieldRemaps = 8;

    /// <summary>Remaps per insertion with node-grouped remapping.</summary>
    public const int PerNodeRemaps = 2;

    /// <inheritdoc />
    public string Name => "prlist";

    /// <inheritdoc />
    public string KernelPath => "per insertion: 8 (per_field) or 2 (per_node) x [vmap + write + vunmap (lazy free, vmap_lazy_nr += 2)]; eager: + flush_tlb_kernel_range(1 page) per remap";

    /// <inheritdoc />
    public IEnumerable<Event> Operate(MechanismContext context, Cpu cpu) =>
        VmapAlias.Remap(context, cpu, context.Params.PrlistGrouping == PrlistGrouping.PerField ? PerFieldRemaps : PerNodeRemaps);
}
