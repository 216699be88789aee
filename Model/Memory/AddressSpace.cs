namespace TlbSim.Model.Memory;

/// <summary>
/// A user address space (struct mm_struct): which CPUs may cache its translations (mm_cpumask) and its
/// flush generation (mm->context.tlb_gen), bumped by every flush of it.
/// </summary>
public sealed class AddressSpace(int id, string name)
{
    private readonly SortedSet<int> _cpus = [];

    /// <summary>Identifier (ctx_id).</summary>
    public int Id { get; } = id;

    /// <summary>Name for traces.</summary>
    public string Name { get; } = name;

    /// <summary>The mm has a global ASID (INVLPGB): its flushes are broadcast instead of sent by IPI.</summary>
    public bool GlobalAsid { get; set; }

    /// <summary>CPUs that have run this mm since they last left it for good (mm_cpumask), in CPU order.</summary>
    public IReadOnlyCollection<int> CpuMask => _cpus;

    /// <summary>HZ jiffies: the least time between two flushes that trim an mm's cpumask (should_trim_cpumask).</summary>
    public static readonly Units.Duration CpumaskTrimInterval = Units.Duration.FromSeconds(1);

    /// <summary>
    /// mm->context.next_trim_cpumask: the time after which a flush trims the cpumask (should_trim_cpumask).
    /// init_new_context sets it to one interval after the mm is created; tlbsim's mms exist from the start of
    /// the run.
    /// </summary>
    public long NextTrimCpumaskPs { get; set; } = CpumaskTrimInterval.Picoseconds;

    /// <summary>Flush generation: bumped by inc_mm_tlb_gen on every flush_tlb_mm_range.</summary>
    public long TlbGeneration { get; private set; }

    /// <summary>Adds a CPU to the mask (switch_mm_irqs_off sets it when the CPU loads this mm).</summary>
    public void AddCpu(int cpu) => _cpus.Add(cpu);

    /// <summary>Removes a CPU from the mask.</summary>
    public void RemoveCpu(int cpu) => _cpus.Remove(cpu);

    /// <summary>inc_mm_tlb_gen: returns the new generation.</summary>
    public long BumpGeneration() => ++TlbGeneration;

    /// <inheritdoc />
    public override string ToString() => $"mm '{Name}'";
}
