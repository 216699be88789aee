using TlbSim.Model.Memory;

namespace TlbSim.Model.Hardware;

/// <summary>
/// What a CPU's TLBs do with an access pattern: for each unit class, how often an access hits the L1 dTLB,
/// hits the second level after an L1 miss, or walks; and how likely each unit's entry is live (would be hit
/// again before eviction), which is what a flush costs in refills.
/// </summary>
public sealed class TlbOutcome
{
    /// <summary>Assembles an outcome.</summary>
    public TlbOutcome(IReadOnlyList<UnitClass> classes, double[] l1Hit, double[] secondHit, double[] live)
    {
        Classes = classes;
        L1Hit = l1Hit;
        SecondHit = secondHit;
        Live = live;
    }

    /// <summary>The unit classes, in the order of the arrays.</summary>
    public IReadOnlyList<UnitClass> Classes { get; }

    /// <summary>Per class: probability an access hits the L1 dTLB.</summary>
    public IReadOnlyList<double> L1Hit { get; }

    /// <summary>Per class: probability an L1 miss hits the second level (STLB or 1G second level).</summary>
    public IReadOnlyList<double> SecondHit { get; }

    /// <summary>Per class: probability a unit's translation is live, so that losing it costs one walk.</summary>
    public IReadOnlyList<double> Live { get; }

    /// <summary>Accesses per second of busy time.</summary>
    public double AccessesPerSecond => Classes.Sum(c => c.Count * c.Rate);

    /// <summary>Page walks per second of busy time, over the classes that match <paramref name="filter"/> (all by default).</summary>
    public double WalksPerSecond(Func<UnitClass, bool>? filter = null)
    {
        double sum = 0;
        for (int k = 0; k < Classes.Count; k++)
        {
            var c = Classes[k];
            if (filter is null || filter(c))
                sum += c.Count * c.Rate * (1 - L1Hit[k]) * (1 - SecondHit[k]);
        }
        return sum;
    }

    /// <summary>Walks per access, over all classes.</summary>
    public double WalksPerAccess => AccessesPerSecond > 0 ? WalksPerSecond() / AccessesPerSecond : 0;

    /// <summary>Translation time per second of busy time (second-level hits plus walks), in picoseconds, over the classes that match <paramref name="filter"/> (all by default).</summary>
    public double TranslationPsPerSecond(PageWalker walker, Func<UnitClass, bool>? filter = null)
    {
        ArgumentNullException.ThrowIfNull(walker);
        double ps = 0;
        for (int k = 0; k < Classes.Count; k++)
        {
            var c = Classes[k];
            if (filter is not null && !filter(c))
                continue;
            double misses = c.Count * c.Rate * (1 - L1Hit[k]);
            ps += misses * SecondHit[k] * walker.StlbHitPs + misses * (1 - SecondHit[k]) * walker.WalkPs(c.Size);
        }
        return ps;
    }

    /// <summary>Live entries among the classes that match <paramref name="filter"/>: the walks a flush of them costs.</summary>
    public double LiveEntries(Func<UnitClass, bool> filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        double sum = 0;
        for (int k = 0; k < Classes.Count; k++)
        {
            if (filter(Classes[k]))
                sum += Classes[k].Count * Live[k];
        }
        return sum;
    }

    /// <summary>Time to refill the live entries among the classes that match <paramref name="filter"/> after a full flush, in picoseconds.</summary>
    public double RefillPs(Func<UnitClass, bool> filter, PageWalker walker)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(walker);
        double ps = 0;
        for (int k = 0; k < Classes.Count; k++)
        {
            if (filter(Classes[k]))
                ps += Classes[k].Count * Live[k] * walker.RefillWalkPs(Classes[k].Size);
        }
        return ps;
    }
}

/// <summary>A way of predicting what a CPU's TLBs do; implementations are chosen by name in scenarios.</summary>
public interface ITlbModel
{
    /// <summary>The name used in scenario files ("analytic", "trace").</summary>
    string Name { get; }

    /// <summary>The steady-state behaviour of a TLB with geometry <paramref name="tlb"/> under <paramref name="classes"/>.</summary>
    TlbOutcome Evaluate(TlbParams tlb, IReadOnlyList<UnitClass> classes);
}

/// <summary>Which TLB structure serves each page size at each level.</summary>
internal static class TlbLevels
{
    /// <summary>L1 dTLB entries and ways for a page size.</summary>
    public static (int Entries, int Ways) L1(TlbParams p, PageSize s) => s switch
    {
        PageSize.Size4K => (p.Dtlb4kEntries, p.Dtlb4kWays),
        PageSize.Size2M => (p.Dtlb2mEntries, p.Dtlb2mWays),
        _ => (p.Dtlb1gEntries, p.Dtlb1gWays),
    };

    /// <summary>The second-level structure for a page size: 0 = STLB, 1 = 1G second level, -1 = none (walk).</summary>
    public static int Second(TlbParams p, PageSize s) => s switch
    {
        PageSize.Size4K => p.StlbEntries > 0 ? 0 : -1,
        PageSize.Size2M => p.StlbHolds2m && p.StlbEntries > 0 ? 0 : -1,
        _ => p.Stlb1gEntries > 0 ? 1 : -1,
    };

    /// <summary>Entries and ways of a second-level structure.</summary>
    public static (int Entries, int Ways) SecondGeometry(TlbParams p, int structure) =>
        structure == 0 ? (p.StlbEntries, p.StlbWays) : (p.Stlb1gEntries, Math.Min(4, Math.Max(1, p.Stlb1gEntries)));
}
