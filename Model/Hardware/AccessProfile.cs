using TlbSim.Model.Memory;
using TlbSim.Model.Parameters;
using TlbSim.Model.Units;

namespace TlbSim.Model.Hardware;

/// <summary>
/// A group of translation units that look alike to a TLB: <see cref="Count"/> mappings of one page size,
/// each accessed <see cref="Rate"/> times per second of busy time.
/// </summary>
/// <param name="Size">Page size of each unit (one TLB entry each).</param>
/// <param name="Count">Units in the group.</param>
/// <param name="Rate">Accesses per second of busy time to each unit.</param>
/// <param name="Kernel">Kernel direct-map units (otherwise user memory).</param>
/// <param name="Global">Global entries (kernel mappings without PTI) survive CR3-write flushes.</param>
public readonly record struct UnitClass(PageSize Size, long Count, double Rate, bool Kernel, bool Global);

/// <summary>
/// How a busy CPU touches memory: an access rate, the share that goes to the kernel's direct map, and
/// the working sets. Locality is a hot/cold split: <see cref="HotShare"/> of the accesses go to
/// <see cref="HotFraction"/> of each working set, the rest spread over the remainder. Each working set is
/// taken as clustered: it occupies the fewest mapping units of each size that can hold it, and the kernel's
/// is spread over the direct map's page sizes in proportion to how much memory each size maps.
/// </summary>
public sealed record AccessProfile : IParameters
{
    /// <summary>Page-granular references per second while busy.</summary>
    [Param("Page-granular data references per second of busy time: accesses to a different page than the access before (repeated accesses to one page always hit the L1 dTLB, so they are left out)", Unit = "references/s", Source = "chosen so that kernel_build spends a few percent of its cycles on translation, the order measured for compile-like workloads; sweep it")]
    public double AccessesPerSecond { get; init; } = 2e7;

    /// <summary>Kernel share of accesses.</summary>
    [Param("Share of busy-time accesses that go to kernel data in the direct map", Unit = "fraction", Source = "set by the workload's kernel/user split")]
    public double KernelShare { get; init; } = 0.3;

    /// <summary>Kernel working set.</summary>
    [Param("Kernel data touched by this CPU through the direct map (slab, page cache, page tables)")]
    public ByteSize KernelWorkingSet { get; init; } = ByteSize.FromMiB(64);

    /// <summary>User working set.</summary>
    [Param("User memory touched by this CPU's tasks")]
    public ByteSize UserWorkingSet { get; init; } = ByteSize.FromMiB(256);

    /// <summary>Share of the user working set on transparent huge pages.</summary>
    [Param("Share of the user working set mapped by 2M transparent huge pages", Unit = "fraction", Source = "0: worst case for the TLB; sweepable")]
    public double UserHugeFraction { get; init; }

    /// <summary>Hot fraction of each working set.</summary>
    [Param("Fraction of each working set that is hot (stacks, current objects, hot metadata)", Unit = "fraction", Source = "chosen with hot_share so that a 256MiB 4K-mapped working set walks on about 1% of accesses, the order of dTLB miss rates measured for SPEC-like workloads; sweepable")]
    public double HotFraction { get; init; } = 0.01;

    /// <summary>Share of accesses to the hot part.</summary>
    [Param("Share of accesses that go to the hot part", Unit = "fraction", Source = "see hot_fraction; sweepable")]
    public double HotShare { get; init; } = 0.99;

    /// <inheritdoc />
    public IEnumerable<string> Validate(string path) =>
        Check.Range(path, "accesses_per_second", AccessesPerSecond, 0, 1e11)
            .Concat(Check.Range(path, "kernel_share", KernelShare, 0, 1))
            .Concat(Check.Range(path, "user_huge_fraction", UserHugeFraction, 0, 1))
            .Concat(Check.Range(path, "hot_fraction", HotFraction, 1e-6, 1))
            .Concat(Check.Range(path, "hot_share", HotShare, 0, 1))
            .Concat(KernelWorkingSet.Bytes < 4096 ? [$"{Check.Join(path, "kernel_working_set")}: must be at least 4KiB (was {KernelWorkingSet})"] : [])
            .Concat(UserWorkingSet.Bytes < 0 ? [$"{Check.Join(path, "user_working_set")}: must not be negative"] : []);

    /// <summary>
    /// The unit classes of this profile given the direct map's current mix of page sizes.
    /// Kernel direct-map entries are global unless <paramref name="pti"/> is on.
    /// </summary>
    public IReadOnlyList<UnitClass> Classes(DirectMap directMap, bool pti)
    {
        ArgumentNullException.ThrowIfNull(directMap);
        var classes = new List<UnitClass>(12);
        double kernelRate = AccessesPerSecond * KernelShare;
        double userRate = AccessesPerSecond - kernelRate;
        foreach (var size in new[] { PageSize.Size1G, PageSize.Size2M, PageSize.Size4K })
        {
            double share = directMap.Coverage(size);
            if (share > 0)
                AddSpread(classes, size, KernelWorkingSet.Bytes * share, kernelRate * share, kernel: true, global: !pti);
        }
        if (UserWorkingSet.Bytes > 0)
        {
            AddSpread(classes, PageSize.Size2M, UserWorkingSet.Bytes * UserHugeFraction, userRate * UserHugeFraction, kernel: false, global: false);
            AddSpread(classes, PageSize.Size4K, UserWorkingSet.Bytes * (1 - UserHugeFraction), userRate * (1 - UserHugeFraction), kernel: false, global: false);
        }
        return classes;
    }

    /// <summary>Puts <paramref name="bytes"/> of working set accessed at <paramref name="rate"/> onto units of <paramref name="size"/>, hot and cold.</summary>
    private void AddSpread(List<UnitClass> classes, PageSize size, double bytes, double rate, bool kernel, bool global)
    {
        if (bytes <= 0 || rate <= 0)
            return;
        long unit = size.Bytes();
        long total = Math.Max(1, (long)Math.Ceiling(bytes / unit));
        long hot = Math.Max(1, (long)Math.Ceiling(bytes * HotFraction / unit));
        long cold = total - hot;
        if (cold <= 0)
        {
            classes.Add(new UnitClass(size, total, rate / total, kernel, global));
            return;
        }
        classes.Add(new UnitClass(size, hot, rate * HotShare / hot, kernel, global));
        classes.Add(new UnitClass(size, cold, rate * (1 - HotShare) / cold, kernel, global));
    }
}
