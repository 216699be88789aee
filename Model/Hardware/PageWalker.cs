using TlbSim.Model.Memory;
using TlbSim.Model.Units;

namespace TlbSim.Model.Hardware;

/// <summary>
/// The cost of translation misses. A walk reads one paging-structure entry per level below what the
/// paging-structure caches (PML4/PDPTE/PDE caches, Intel SDM Vol. 3A 4.10.3) already hold: with probability
/// <see cref="TlbParams.PscHitProbability"/> only the leaf, otherwise every level of the mapping's depth
/// (1G: 2, 2M: 3, 4K: 4). Each reference costs the mean latency of where the entry's cache line is found.
/// A refill right after a full flush finds the paging-structure caches empty too and reads every level.
/// </summary>
public sealed class PageWalker
{
    private readonly double[] _walkPs = new double[3];
    private readonly double[] _refillPs = new double[3];

    /// <summary>Derives walk latencies from the TLB parameters at clock <paramref name="clock"/>.</summary>
    public PageWalker(TlbParams p, Frequency clock)
    {
        ArgumentNullException.ThrowIfNull(p);
        double cyclePs = 1e12 / clock.Hertz;
        double dram = 1 - p.WalkL1Hit - p.WalkL2Hit - p.WalkL3Hit;
        ReferencePs = (p.WalkL1Hit * p.L1Cycles + p.WalkL2Hit * p.L2Cycles + p.WalkL3Hit * p.L3Cycles) * cyclePs
            + Math.Max(0, dram) * p.DramLatency.Picoseconds;
        StlbHitPs = p.StlbHitCycles * cyclePs;
        foreach (var size in new[] { PageSize.Size4K, PageSize.Size2M, PageSize.Size1G })
        {
            int depth = size.WalkDepth();
            _walkPs[(int)size] = (p.PscHitProbability + (1 - p.PscHitProbability) * depth) * ReferencePs;
            _refillPs[(int)size] = depth * ReferencePs;
        }
    }

    /// <summary>Mean latency of one page-walk memory reference, in picoseconds.</summary>
    public double ReferencePs { get; }

    /// <summary>Extra latency of an L1 dTLB miss that hits the STLB, in picoseconds.</summary>
    public double StlbHitPs { get; }

    /// <summary>Mean latency of a steady-state walk to a leaf of <paramref name="size"/>, in picoseconds.</summary>
    public double WalkPs(PageSize size) => _walkPs[(int)size];

    /// <summary>Latency of a walk with cold paging-structure caches (after a full flush), in picoseconds.</summary>
    public double RefillWalkPs(PageSize size) => _refillPs[(int)size];

    /// <summary>Mean latency of a steady-state walk to a leaf of <paramref name="size"/>.</summary>
    public Duration Walk(PageSize size) => new((long)Math.Round(_walkPs[(int)size]));
}
