using TlbSim.Model.Hardware;
using TlbSim.Model.Memory;
using Xunit;
using Xunit.Abstractions;

namespace TlbSim.Tests.Model.Hardware;

/// <summary>Do the analytic (Che) and trace (set-associative LRU) TLB models agree, and does each behave sensibly alone?</summary>
public class TlbModelTests(ITestOutputHelper output)
{
    /// <summary>The stated tolerance: walks per access within 15% (or 0.005 absolute when tiny), live entries within 20%.</summary>
    private const double WalkTolerance = 0.15;
    private const double LiveTolerance = 0.20;

    public static TheoryData<string, UnitClass[]> Configurations => new()
    {
        { "4K hot/cold over 8MiB", [new(PageSize.Size4K, 205, 0.9 / 205, true, true), new(PageSize.Size4K, 1843, 0.1 / 1843, true, true)] },
        { "4K uniform, 3x the STLB", [new(PageSize.Size4K, 4608, 1.0 / 4608, false, false)] },
        { "4K and 2M mixed", [new(PageSize.Size4K, 1500, 0.5 / 1500, false, false), new(PageSize.Size2M, 600, 0.5 / 600, true, true)] },
        { "1G and 2M", [new(PageSize.Size1G, 6, 0.3 / 6, true, true), new(PageSize.Size2M, 2000, 0.7 / 2000, true, true)] },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Analytic_and_trace_TLB_models_agree_within_the_stated_tolerance(string name, UnitClass[] classes)
    {
        var tlb = new TlbParams();
        var analytic = new AnalyticTlbModel().Evaluate(tlb, classes);
        var trace = new TraceTlbModel(accesses: 600_000).Evaluate(tlb, classes);
        double a = analytic.WalksPerAccess, t = trace.WalksPerAccess;
        double la = analytic.LiveEntries(_ => true), lt = trace.LiveEntries(_ => true);
        output.WriteLine($"{name}: walks/access analytic {a:F4} trace {t:F4}; live entries analytic {la:F0} trace {lt:F0}");
        Assert.True(Math.Abs(a - t) <= Math.Max(0.005, WalkTolerance * t), $"walks/access {a} vs {t}");
        Assert.True(Math.Abs(la - lt) <= LiveTolerance * Math.Max(lt, 10), $"live entries {la} vs {lt}");
    }

    [Fact]
    public void A_working_set_that_fits_never_walks_and_every_entry_is_live()
    {
        var o = new AnalyticTlbModel().Evaluate(new TlbParams(), [new UnitClass(PageSize.Size4K, 40, 1e6, false, false)]);
        Assert.Equal(0, o.WalksPerAccess, 12);
        Assert.Equal(40, o.LiveEntries(_ => true), 9);
    }

    [Fact]
    public void The_characteristic_time_fills_exactly_the_capacity()
    {
        var units = new[] { (100L, 2.0), (1000L, 0.1) };
        double t = AnalyticTlbModel.CharacteristicTime(units, 64);
        double occupancy = units.Sum(u => u.Item1 * (1 - Math.Exp(-u.Item2 * t)));
        Assert.Equal(64, occupancy, 6);
    }

    [Fact]
    public void Walks_get_deeper_and_slower_as_pages_get_smaller()
    {
        var walker = new PageWalker(new TlbParams(), TlbSim.Model.Units.Frequency.Parse("3GHz"));
        Assert.True(walker.WalkPs(PageSize.Size4K) > walker.WalkPs(PageSize.Size2M));
        Assert.True(walker.WalkPs(PageSize.Size2M) > walker.WalkPs(PageSize.Size1G));
        Assert.Equal(4 * walker.ReferencePs, walker.RefillWalkPs(PageSize.Size4K), 6);
        Assert.Equal(2 * walker.ReferencePs, walker.RefillWalkPs(PageSize.Size1G), 6);
    }
}
