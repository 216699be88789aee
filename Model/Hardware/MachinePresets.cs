using TlbSim.Model.Units;

namespace TlbSim.Model.Hardware;

/// <summary>
/// Named machines with sourced parameters. Every value can be overridden in a scenario; anything a preset
/// does not set keeps the declared default (see <c>tlbsim describe</c>).
/// </summary>
public static class MachinePresets
{
    private static IdleState State(string name, double exitUs, double residencyUs, bool flushesTlb = false) => new()
    {
        Name = name,
        ExitLatency = Duration.FromMicroseconds(exitUs),
        TargetResidency = Duration.FromMicroseconds(residencyUs),
        FlushesTlb = flushesTlb,
    };

    private static ApicParams ApicAt(Frequency f, ApicParams baseline) => baseline with
    {
        // One WRMSR to the ICR: ~100 cycles at this clock.
        IcrWrite = f.Cycles(100),
        BroadcastWrite = f.Cycles(100),
    };

    /// <summary>4-core Haswell desktop (i7-4770 class: 4 cores, 8 threads, 3.4 GHz).</summary>
    public static MachineParams HaswellDesktop { get; } = Build(
        cores: 4, sockets: 1, threads: 2, ghz: 3.4, memoryGiB: 16, pti: true,
        tlb: new TlbParams { StlbEntries = 1024, StlbWays = 8, Stlb1gEntries = 0, StlbHitCycles = 12 },
        idle: [State("C1", 2, 2), State("C1E", 10, 20), State("C3", 33, 100, true), State("C6", 133, 400, true)]);

    /// <summary>4-core Ivy Bridge desktop (i5-3550: 4 cores, no SMT, 3.3 GHz), the XPFO measurement machine.</summary>
    public static MachineParams IvyBridgeDesktop { get; } = Build(
        cores: 4, sockets: 1, threads: 1, ghz: 3.3, memoryGiB: 8, pti: true,
        tlb: new TlbParams { StlbEntries = 512, StlbWays = 4, StlbHolds2m = false, Stlb1gEntries = 0, StlbHitCycles = 11 },
        idle: [State("C1", 1, 1), State("C1E", 10, 20), State("C3", 59, 156, true), State("C6", 80, 300, true)]);

    /// <summary>2-socket Skylake-SP server (Xeon Platinum 8180: 28 cores, 56 threads per socket, 2.5 GHz).</summary>
    public static MachineParams SkylakeSp2s { get; } = Build(
        cores: 28, sockets: 2, threads: 2, ghz: 2.5, memoryGiB: 384, pti: true,
        tlb: new TlbParams(),
        idle: [State("C1", 2, 2), State("C1E", 10, 20), State("C6", 133, 600, true)]);

    /// <summary>2-socket Ice Lake-SP server (Xeon Platinum 8380: 40 cores, 80 threads per socket, 2.3 GHz); not Meltdown-affected, so no PTI.</summary>
    public static MachineParams IceLakeSp2s { get; } = Build(
        cores: 40, sockets: 2, threads: 2, ghz: 2.3, memoryGiB: 512, pti: false,
        tlb: new TlbParams { Dtlb1gEntries = 8, Dtlb1gWays = 8, StlbEntries = 2048, StlbWays = 16, Stlb1gEntries = 1024 },
        idle: [State("C1", 1, 1), State("C1E", 4, 4), State("C6", 170, 600, true)]);

    /// <summary>1-socket Zen 3 server (EPYC 7763 Milan: 64 cores, 128 threads, 2.45 GHz); not Meltdown-affected.</summary>
    /// <remarks>Zen's L1 dTLB is one 64-entry fully associative array for all page sizes; tlbsim gives each size 64 entries,
    /// which overstates its reach when sizes mix. The 2048-entry L2 dTLB is skewed-associative; it is modelled as 16-way,
    /// and 1G pages are held as 2M entries ("smashed"), so there is no separate 1G second level.</remarks>
    public static MachineParams MilanServer { get; } = Build(
        cores: 64, sockets: 1, threads: 2, ghz: 2.45, memoryGiB: 512, pti: false,
        tlb: new TlbParams
        {
            Dtlb4kEntries = 64, Dtlb4kWays = 64, Dtlb2mEntries = 64, Dtlb2mWays = 64, Dtlb1gEntries = 64, Dtlb1gWays = 64,
            StlbEntries = 2048, StlbWays = 16, Stlb1gEntries = 0,
        },
        idle: [State("C1", 1, 2), State("C2", 400, 800, true)]);

    /// <summary>Every preset by its scenario name.</summary>
    public static IReadOnlyDictionary<string, MachineParams> All { get; } = new Dictionary<string, MachineParams>(StringComparer.Ordinal)
    {
        ["haswell_desktop"] = HaswellDesktop,
        ["ivybridge_desktop"] = IvyBridgeDesktop,
        ["skylake_sp_2s"] = SkylakeSp2s,
        ["icelake_sp_2s"] = IceLakeSp2s,
        ["milan_1s"] = MilanServer,
    };

    /// <summary>Where each preset's figures come from.</summary>
    public static IReadOnlyDictionary<string, string> Sources { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["haswell_desktop"] = "i7-4770 (techpowerup); STLB 1024 x 8-way 4K+2M (CPUID 0xC1); idle states hsw_cstates in intel_idle.c; STLB hit 12 cycles (mynavi 2013)",
        ["ivybridge_desktop"] = "i5-3550 3.3 GHz (XPFO v7 cover letter machine); STLB 512 x 4-way, 4K only (CPUID 0xCA); ivb_cstates; STLB hit 11 cycles",
        ["skylake_sp_2s"] = "Xeon Platinum 8180 (AnandTech); TLBs Intel 248966-045 Table 2-15; skx_cstates (C6 133/600 us)",
        ["icelake_sp_2s"] = "Xeon Platinum 8380 (AnandTech); TLB sizes from public Sunny Cove summaries (unconfirmed); icx_cstates (C1E 4/4, C6 170/600 us)",
        ["milan_1s"] = "EPYC 7763 (techgage); Zen 2/3 L2 dTLB 2048 entries (wikichip); acpi_idle C1 (MWAIT) 1/2 us and a BIOS C2 of 400 us (CALIBRATION.md: 30-400 us)",
    };

    private static MachineParams Build(int cores, int sockets, int threads, double ghz, long memoryGiB, bool pti, TlbParams tlb, IdleState[] idle)
    {
        var f = Frequency.FromGigahertz(ghz);
        return new MachineParams
        {
            Topology = new TopologyParams { Sockets = sockets, CoresPerSocket = cores, ThreadsPerCore = threads },
            Cpu = new CpuParams
            {
                Frequency = f,
                Pti = pti,
                // lseek round trip: 192 ns without PTI, 333 ns with PTI and PCID (lore:20171031223146).
                SyscallRoundTrip = Duration.FromNanoseconds(pti ? 333 : 192),
                IdleStates = idle,
            },
            Apic = ApicAt(f, new ApicParams()),
            Tlb = tlb,
            Memory = ByteSize.FromGiB(memoryGiB),
        };
    }
}
