using TlbSim.Model.Parameters;
using TlbSim.Model.Units;

namespace TlbSim.Model.Hardware;

/// <summary>
/// Per-core data-TLB geometry, the cost of the invalidation instructions, and the page-walk latency.
/// Defaults are Skylake's (Intel Optimization Manual 248966-045, Table 2-15).
/// </summary>
public sealed record TlbParams : IParameters
{
    /// <summary>L1 dTLB 4K entries.</summary>
    [Param("L1 dTLB entries for 4K pages", Unit = "entries", Source = "Skylake: 64, 4-way (Intel 248966-045 Table 2-15)")]
    public int Dtlb4kEntries { get; init; } = 64;

    /// <summary>L1 dTLB 4K ways.</summary>
    [Param("L1 dTLB associativity for 4K pages", Unit = "ways", Source = "Skylake: 4-way")]
    public int Dtlb4kWays { get; init; } = 4;

    /// <summary>L1 dTLB 2M entries.</summary>
    [Param("L1 dTLB entries for 2M pages", Unit = "entries", Source = "Skylake: 32, 4-way")]
    public int Dtlb2mEntries { get; init; } = 32;

    /// <summary>L1 dTLB 2M ways.</summary>
    [Param("L1 dTLB associativity for 2M pages", Unit = "ways", Source = "Skylake: 4-way")]
    public int Dtlb2mWays { get; init; } = 4;

    /// <summary>L1 dTLB 1G entries.</summary>
    [Param("L1 dTLB entries for 1G pages", Unit = "entries", Source = "Skylake: 4, fully associative")]
    public int Dtlb1gEntries { get; init; } = 4;

    /// <summary>L1 dTLB 1G ways.</summary>
    [Param("L1 dTLB associativity for 1G pages", Unit = "ways", Source = "Skylake: 4 (fully associative)")]
    public int Dtlb1gWays { get; init; } = 4;

    /// <summary>STLB entries.</summary>
    [Param("Shared second-level TLB entries (4K, and 2M when stlb_holds_2m)", Unit = "entries", Source = "Skylake: 1536, 12-way (wikichip; CPUID descriptor 0xC3 reports 6-way)")]
    public int StlbEntries { get; init; } = 1536;

    /// <summary>STLB ways.</summary>
    [Param("Shared second-level TLB associativity", Unit = "ways", Source = "Skylake: 12-way")]
    public int StlbWays { get; init; } = 12;

    /// <summary>Whether the STLB holds 2M translations.</summary>
    [Param("The STLB also holds 2M translations (Haswell and later; Ivy Bridge's holds 4K only)", Source = "Intel 248966-045 Table 2-15")]
    public bool StlbHolds2m { get; init; } = true;

    /// <summary>STLB 1G entries.</summary>
    [Param("Second-level entries for 1G pages (0: an L1 1G miss walks)", Unit = "entries", Source = "Skylake: 16, 4-way (CPUID descriptor 0xC3)")]
    public int Stlb1gEntries { get; init; } = 16;

    /// <summary>STLB hit latency.</summary>
    [Param("Extra latency of an L1 dTLB miss that hits the STLB", Unit = "cycles", Source = "Haswell ~12 cycles, Ivy Bridge ~11 (RMMA measurements, mynavi 2013)")]
    public double StlbHitCycles { get; init; } = 12;

    /// <summary>Where a page-walk reference hits: L1.</summary>
    [Param("Probability that a page-walk memory reference hits the L1 data cache", Unit = "probability", Source = "no direct figure; chosen so the mean reference costs ~20-26 cycles, matching ~20 cycles for a cached walk on Haswell (mynavi 2013); plausible 0.3 to 0.55 (the mean reference between the L1 and L2 latencies; above 0.55 the three hit shares would exceed 1)", Low = "0.3", High = "0.55")]
    public double WalkL1Hit { get; init; } = 0.5;

    /// <summary>Where a page-walk reference hits: L2.</summary>
    [Param("Probability that a page-walk memory reference hits L2", Unit = "probability", Source = "as walk_l1_hit")]
    public double WalkL2Hit { get; init; } = 0.3;

    /// <summary>Where a page-walk reference hits: L3.</summary>
    [Param("Probability that a page-walk memory reference hits L3 (the rest go to DRAM)", Unit = "probability", Source = "as walk_l1_hit")]
    public double WalkL3Hit { get; init; } = 0.15;

    /// <summary>L1 latency.</summary>
    [Param("L1 data cache load latency", Unit = "cycles", Source = "Skylake 4 cycles (Intel optimization manual)")]
    public double L1Cycles { get; init; } = 4;

    /// <summary>L2 latency.</summary>
    [Param("L2 load latency", Unit = "cycles", Source = "Skylake 12 cycles (Intel optimization manual); Xeon 8280 14")]
    public double L2Cycles { get; init; } = 12;

    /// <summary>L3 latency.</summary>
    [Param("L3 load latency", Unit = "cycles", Source = "Skylake client 44 cycles (Intel optimization manual); Xeon 8280 ~46")]
    public double L3Cycles { get; init; } = 44;

    /// <summary>DRAM latency.</summary>
    [Param("DRAM load latency (local)", Source = "~70-80 ns local DRAM on recent Xeons (7-cpu, qdpma)")]
    public Duration DramLatency { get; init; } = Duration.FromNanoseconds(80);

    /// <summary>Paging-structure cache hit probability.</summary>
    [Param("Probability that the paging-structure caches leave only the leaf reference of a walk; a walk that misses them reads every level", Unit = "probability", Source = "Intel SDM Vol. 3A 4.10.3; Barr et al., ISCA 2010: warm PSCs skip the upper levels on most walks; 0.9 chosen, no direct figure; plausible 0.7 to 0.98 (cold to warm paging-structure caches)", Low = "0.7", High = "0.98")]
    public double PscHitProbability { get; init; } = 0.9;

    /// <summary>Cost of one INVLPG.</summary>
    [Param("Time of one INVLPG (flush_tlb_one_user / flush_tlb_one_kernel)", Source = "arch/x86/mm/tlb.c comment above tlb_single_page_flush_ceiling: each single flush is about 100 ns")]
    public Duration Invlpg { get; init; } = Duration.FromNanoseconds(100);

    /// <summary>Cost of a CR3-write flush.</summary>
    [Param("Time of a full non-global flush by CR3 write (flush_tlb_local)", Unit = "cycles", Source = "96 cycles, lore:20150608195237.GA15429@gmail.com; the refills that follow are charged separately")]
    public double Cr3WriteCycles { get; init; } = 96;

    /// <summary>Cost of a global flush.</summary>
    [Param("Time of a global flush (__flush_tlb_all: INVPCID all-context or a CR4.PGE toggle)", Unit = "cycles", Source = "no published figure; taken as two CR3-write equivalents (2 x 96 cycles), the cost of the CR4 toggle pair it replaces; plausible 96 to 400 (one CR3 write to INVPCID plus two CR4 writes)", Low = "96", High = "400")]
    public double GlobalFlushCycles { get; init; } = 192;

    /// <summary>Whether the CPU has INVPCID.</summary>
    [Param("The CPU has INVPCID (Haswell and later): with PTI, flush_tlb_one_user also flushes the address from the user PCID with INVPCID; without it, invalidate_user_asid marks the whole user PCID for a flush at the next return to user", Source = "arch/x86/mm/tlb.c native_flush_tlb_one_user")]
    public bool Invpcid { get; init; } = true;

    /// <summary>INVPCID single-address cost above INVLPG.</summary>
    [Param("Extra time of INVPCID single-address over INVLPG, paid per page for the user PCID when PTI is on", Unit = "cycles", Source = "lore:20190823225248.15597-3-namit@vmware.com: INVPCID is more than 133 cycles slower than INVLPG on Skylake; 133 taken (a lower bound)")]
    public double InvpcidExtraCycles { get; init; } = 133;

    /// <inheritdoc />
    public IEnumerable<string> Validate(string path)
    {
        var e = new List<string>();
        void Geometry(string name, int entries, int ways, bool zeroAllowed)
        {
            e.AddRange(Check.Range(path, name + "_entries", entries, zeroAllowed ? 0 : 1, 1 << 16));
            e.AddRange(Check.Range(path, name + "_ways", ways, 1, 1 << 16));
            if (entries > 0 && ways > 0 && entries % ways != 0)
                e.Add($"{Check.Join(path, name + "_ways")}: must divide {name}_entries ({entries} entries, {ways} ways)");
            else if (entries > 0 && ways > 0)
                e.AddRange(Check.PowerOfTwo(path, name + "_entries / " + name + "_ways (sets)", entries / ways));
        }
        Geometry("dtlb4k", Dtlb4kEntries, Dtlb4kWays, false);
        Geometry("dtlb2m", Dtlb2mEntries, Dtlb2mWays, true);
        Geometry("dtlb1g", Dtlb1gEntries, Dtlb1gWays, true);
        Geometry("stlb", StlbEntries, StlbWays, true);
        e.AddRange(Check.Range(path, "stlb1g_entries", Stlb1gEntries, 0, 1 << 16));
        e.AddRange(Check.Range(path, "stlb_hit_cycles", StlbHitCycles, 0, 1e4));
        e.AddRange(Check.Range(path, "walk_l1_hit", WalkL1Hit, 0, 1));
        e.AddRange(Check.Range(path, "walk_l2_hit", WalkL2Hit, 0, 1));
        e.AddRange(Check.Range(path, "walk_l3_hit", WalkL3Hit, 0, 1));
        if (WalkL1Hit + WalkL2Hit + WalkL3Hit > 1 + 1e-9)
            e.Add($"{Check.Join(path, "walk_l3_hit")}: walk_l1_hit + walk_l2_hit + walk_l3_hit must not exceed 1 (was {WalkL1Hit + WalkL2Hit + WalkL3Hit})");
        e.AddRange(Check.Range(path, "l1_cycles", L1Cycles, 0, 1e4));
        e.AddRange(Check.Range(path, "l2_cycles", L2Cycles, 0, 1e4));
        e.AddRange(Check.Range(path, "l3_cycles", L3Cycles, 0, 1e4));
        e.AddRange(Check.NonNegative(path, "dram_latency", DramLatency));
        e.AddRange(Check.Range(path, "psc_hit_probability", PscHitProbability, 0, 1));
        e.AddRange(Check.NonNegative(path, "invlpg", Invlpg));
        e.AddRange(Check.Range(path, "cr3_write_cycles", Cr3WriteCycles, 0, 1e6));
        e.AddRange(Check.Range(path, "global_flush_cycles", GlobalFlushCycles, 0, 1e6));
        e.AddRange(Check.Range(path, "invpcid_extra_cycles", InvpcidExtraCycles, 0, 1e6));
        return e;
    }
}
