using TlbSim.Model.Memory;

namespace TlbSim.Model.Hardware;

/// <summary>
/// The default TLB model: the LRU characteristic-time (Che) approximation. Each structure is treated as a
/// fully associative LRU of its capacity fed by independent Poisson references to its units; its
/// characteristic time T solves sum_k n_k (1 - exp(-lambda_k T)) = capacity, and a unit hits with
/// probability 1 - exp(-lambda T). The second level sees the L1's miss stream lambda (1 - h1). A unit's entry is
/// live (its next access would hit) with probability 1 - e^-x - x e^-x, x = lambda T (taking the level where it
/// lives longer), which is what a flush loses.
/// </summary>
/// <remarks>References: Che, Tung, Wang, JSAC 2002; Fricker, Robert, Roberts, ITC 2012 (arXiv 1202.3974).
/// Associativity is ignored (fully associative); the trace model checks the error this makes.</remarks>
public sealed class AnalyticTlbModel : ITlbModel
{
    /// <inheritdoc />
    public string Name => "analytic";

    /// <inheritdoc />
    public TlbOutcome Evaluate(TlbParams tlb, IReadOnlyList<UnitClass> classes)
    {
        ArgumentNullException.ThrowIfNull(tlb);
        ArgumentNullException.ThrowIfNull(classes);
        int n = classes.Count;
        var h1 = new double[n];
        var h2 = new double[n];
        var live = new double[n];
        var t1 = new double[n];
        foreach (var size in new[] { PageSize.Size4K, PageSize.Size2M, PageSize.Size1G })
        {
            var members = Enumerable.Range(0, n).Where(k => classes[k].Size == size).ToArray();
            double t = CharacteristicTime(members.Select(k => (classes[k].Count, classes[k].Rate)), TlbLevels.L1(tlb, size).Entries);
            foreach (int k in members)
            {
                t1[k] = t;
                h1[k] = HitProbability(classes[k].Rate, t);
            }
        }
        foreach (int structure in new[] { 0, 1 })
        {
            var members = Enumerable.Range(0, n).Where(k => TlbLevels.Second(tlb, classes[k].Size) == structure).ToArray();
            if (members.Length == 0)
                continue;
            double t = CharacteristicTime(members.Select(k => (classes[k].Count, classes[k].Rate * (1 - h1[k]))),
                TlbLevels.SecondGeometry(tlb, structure).Entries);
            foreach (int k in members)
            {
                double filtered = classes[k].Rate * (1 - h1[k]);
                h2[k] = HitProbability(filtered, t);
                live[k] = Math.Max(LiveProbability(classes[k].Rate * t1[k]), LiveProbability(filtered * t));
            }
        }
        for (int k = 0; k < n; k++)
        {
            if (TlbLevels.Second(tlb, classes[k].Size) < 0)
                live[k] = LiveProbability(classes[k].Rate * t1[k]);
        }
        return new TlbOutcome(classes, h1, h2, live);
    }

    /// <summary>Solves sum n (1 - exp(-rate T)) = capacity for T; +infinity when everything fits.</summary>
    public static double CharacteristicTime(IEnumerable<(long Count, double Rate)> units, int capacity)
    {
        var list = units.Where(u => u.Count > 0 && u.Rate > 0).ToArray();
        double total = list.Sum(u => (double)u.Count);
        if (total <= capacity)
            return double.PositiveInfinity;
        if (capacity <= 0)
            return 0;
        double Occupancy(double t) => list.Sum(u => u.Count * -double.ExpM1(-u.Rate * t));
        double lo = 0, hi = capacity / list.Sum(u => u.Count * u.Rate);
        while (Occupancy(hi) < capacity)
            hi *= 2;
        for (int i = 0; i < 200 && hi - lo > hi * 1e-12; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (Occupancy(mid) < capacity)
                lo = mid;
            else
                hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    private static double HitProbability(double rate, double t) => double.IsPositiveInfinity(t) ? (rate > 0 ? 1 : 0) : -double.ExpM1(-rate * t);

    private static double LiveProbability(double x)
    {
        if (double.IsPositiveInfinity(x))
            return 1;
        if (double.IsNaN(x) || x <= 0)
            return 0;
        return -double.ExpM1(-x) - x * Math.Exp(-x);
    }
}
