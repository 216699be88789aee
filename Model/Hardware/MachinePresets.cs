using TlbSim.Model.Units;

namespace TlbSim.Model.Hardware;

/// <summary>
/// Named machines with sourced parameters. Every value can be overridden in a scenario; anything a preset
/// does not set keeps the declared default (see <c>tlbsim describe</c>).
/// </summary>
public static class MachinePresets
{
    private static IdleState State(string name, double exitUs, double residencyUs, bool flushesTlb = false, IdleLevel level = IdleLevel.Thread, double coreExitUs = 0) => new()
    {
        Name = name,
        ExitLatency = Duration.FromMicroseconds(exitUs),
        TargetResidency = Duration.FromMicroseconds(residencyUs),
        FlushesTlb = flushesTlb,
        Level = level,
        CoreExitLatency = Duration.FromMicroseconds(coreExitUs),
    };

    /// <summary>cpuidle's POLL state, state 0 of every x86 cpuidle driver (drivers/cpuidle/poll_state.c: exit latency and target residency 0).</summary>
    public static IdleState Poll { get; } = new() { Name = "POLL", ExitLatency = Duration.Zero, TargetResidency = Duration.Zero, Polling = true };

    // intel_idle's deep states request core C-states by MWAIT hint; the package follows when every core is in
    // one, and the tables' exit latencies are the package worst case (intel_idle.c: "By default, the C6 state
    // assumes the worst-case scenario of package C6"). Only skx and spr adjust to a core-only figure at run
    // time; Ice Lake-SP's comes from the _CST value quoted in its table's commit (see IceLakeSp2s).
    private const IdleLevel Package = IdleLevel.Package;

    /// <summary>
    /// A C1 whose wake-up shape comes from published IPI wake-up percentiles (send to handler, docs/CALIBRATION.md):
    /// the measured quantiles less the rest of tlbsim's path from send to handler on <paramref name="m"/> (the
    /// initiator's csd_lock and llist_add, the ICR write, delivery, interrupt entry, the queue take and csd read).
    /// </summary>
    private static MachineParams WithMeasuredC1(MachineParams m, string name, params double[] quantilesNs)
    {
        var apic = m.Apic;
        double rest = 10 + 1.5 * apic.SameSocketAck.TotalNanoseconds + apic.IcrWrite.TotalNanoseconds + apic.SameSocketDelivery.TotalNanoseconds
            + m.Cpu.InterruptEntry.TotalNanoseconds + 2 * apic.SameSocketAck.TotalNanoseconds;
        var states = m.Cpu.IdleStates.ToArray();
        int c1 = Array.FindIndex(states, s => s.Name.StartsWith("C1", StringComparison.Ordinal));
        states[c1] = states[c1] with { Name = name, Wake = WakeShape.FromMeasured(states[c1].ExitLatency, rest, quantilesNs) };
        return m with { Cpu = m.Cpu with { IdleStates = states } };
    }

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
        idle: [Poll, State("C1", 2, 2), State("C1E", 10, 20), State("C3", 33, 100, true, Package), State("C6", 133, 400, true, Package)]);

    /// <summary>4-core Ivy Bridge desktop (i5-3550: 4 cores, no SMT, 3.3 GHz), the XPFO measurement machine.</summary>
    public static MachineParams IvyBridgeDesktop { get; } = Build(
        cores: 4, sockets: 1, threads: 1, ghz: 3.3, memoryGiB: 8, pti: true,
        tlb: new TlbParams { StlbEntries = 512, StlbWays = 4, StlbHolds2m = false, Stlb1gEntries = 0, StlbHitCycles = 11, Invpcid = false },
        idle: [Poll, State("C1", 1, 1), State("C1E", 10, 20), State("C3", 59, 156, true, Package), State("C6", 80, 300, true, Package)]);

    /// <summary>2-socket Skylake-SP server (Xeon Platinum 8180: 28 cores, 56 threads per socket, 2.5 GHz).</summary>
    public static MachineParams SkylakeSp2s { get; } = Build(
        cores: 28, sockets: 2, threads: 2, ghz: 2.5, memoryGiB: 384, pti: true,
        tlb: new TlbParams(),
        idle: [Poll, State("C1", 2, 2), State("C1E", 10, 20), State("C6", 133, 600, true, Package, coreExitUs: 92)]);

    /// <summary>2-socket Ice Lake-SP server (Xeon Platinum 8380: 40 cores, 80 threads per socket, 2.3 GHz); not Meltdown-affected, so no PTI.</summary>
    /// <remarks>
    /// The idle table is intel_idle.c's icx_cstates (a472ad2bcea4, "intel_idle: Customize IceLake server
    /// support"). Its C6 exit latency, 170 us, is the package figure (PC6 + CC6, measured by "a dedicated tool":
    /// 128 us, raised to the worst case in d484b8bfc6fa). The same commit gives the core-only figure it did not
    /// use: the BIOS's _CST reports 41 us, "the exit latency when woken up from PC0+C6". intel_idle has no
    /// icx_idle_state_table_update (only skx and spr adjust C6 at run time), so the kernel itself always
    /// assumes 170 us; tlbsim uses 41 us for the wake-up of a C6 reached only as a core state. That figure is
    /// firmware-reported, not measured: treat it as an estimate, plausibly 41 to 92 us (Skylake-SP's measured
    /// CC6 + PC0 is 92 us).
    /// </remarks>
    public static MachineParams IceLakeSp2s { get; } = Build(
        cores: 40, sockets: 2, threads: 2, ghz: 2.3, memoryGiB: 512, pti: false,
        tlb: new TlbParams { Dtlb1gEntries = 8, Dtlb1gWays = 8, StlbEntries = 2048, StlbWays = 16, Stlb1gEntries = 1024 },
        idle: [Poll, State("C1", 1, 1), State("C1E", 4, 4), State("C6", 170, 600, true, Package, coreExitUs: 41)]);

    /// <summary>1-socket Zen 3 server (EPYC 7763 Milan: 64 cores, 128 threads, 2.45 GHz); not Meltdown-affected.</summary>
    /// <remarks>Zen's L1 dTLB is one 64-entry fully associative array for all page sizes; tlbsim gives each size 64 entries,
    /// which overstates its reach when sizes mix. The 2048-entry L2 dTLB is skewed-associative; it is modelled as 16-way,
    /// and 1G pages are held as 2M entries ("smashed"), so there is no separate 1G second level.</remarks>
    public static MachineParams MilanServer { get; } = WithMeasuredC1(Build(
        cores: 64, sockets: 1, threads: 2, ghz: 2.45, memoryGiB: 512, pti: false,
        tlb: new TlbParams
        {
            Dtlb4kEntries = 64, Dtlb4kWays = 64, Dtlb2mEntries = 64, Dtlb2mWays = 64, Dtlb1gEntries = 64, Dtlb1gWays = 64,
            StlbEntries = 2048, StlbWays = 16, Stlb1gEntries = 0,
        },
        idle: [Poll, State("C1", 1, 2), State("C2", 400, 800, true, IdleLevel.Core)]),
        // IPI wake-up into MWAIT C1, Zen 3 bare metal: min 1200, p50 1500, p90 1800, p99 2300, p99.9 3200, max 4600 ns
        // (lore:20220505104856.452311-1-wyes.karny@amd.com).
        "C1", 1200, 1500, 1800, 2300, 3200, 4600);

    /// <summary>The Milan server with C1 entered by HLT (idle=halt, or acpi_idle before AMD preferred MWAIT).</summary>
    public static MachineParams MilanServerHalt { get; } = WithMeasuredC1(MilanServer,
        // IPI wake-up into HLT, same measurement: min 1700, p50 2000, p90 2500, p99 2800, p99.9 3400, max 5900 ns.
        "C1 (HLT)", 1700, 2000, 2500, 2800, 3400, 5900);

    /// <summary>Every preset by its scenario name.</summary>
    public static IReadOnlyDictionary<string, MachineParams> All { get; } = new Dictionary<string, MachineParams>(StringComparer.Ordinal)
    {
        ["haswell_desktop"] = HaswellDesktop,
        ["ivybridge_desktop"] = IvyBridgeDesktop,
        ["skylake_sp_2s"] = SkylakeSp2s,
        ["icelake_sp_2s"] = IceLakeSp2s,
        ["milan_1s"] = MilanServer,
        ["milan_1s_halt"] = MilanServerHalt,
    };

    /// <summary>Where each preset's figures come from.</summary>
    public static IReadOnlyDictionary<string, string> Sources { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["haswell_desktop"] = "i7-4770 (techpowerup); STLB 1024 x 8-way 4K+2M (CPUID 0xC1); idle states POLL plus hsw_cstates in intel_idle.c, C3 and C6 reaching the package only when all cores idle; STLB hit 12 cycles (mynavi 2013)",
        ["ivybridge_desktop"] = "i5-3550 3.3 GHz (XPFO v7 cover letter machine); STLB 512 x 4-way, 4K only (CPUID 0xCA); no INVPCID (Haswell added it); ivb_cstates; STLB hit 11 cycles",
        ["skylake_sp_2s"] = "Xeon Platinum 8180 (AnandTech); TLBs Intel 248966-045 Table 2-15; skx_cstates (C6 133/600 us with package C6, 92 us core C6 only: skx_idle_state_table_update)",
        ["icelake_sp_2s"] = "Xeon Platinum 8380 (AnandTech); TLB sizes from public Sunny Cove summaries (unconfirmed); icx_cstates (C1E 4/4, C6 170/600 us)",
        ["milan_1s"] = "EPYC 7763 (techgage); Zen 2/3 L2 dTLB 2048 entries (wikichip); acpi_idle C1 (MWAIT) 1/2 us with the measured Zen 3 IPI wake-up percentiles (lore:20220505104856.452311-1-wyes.karny@amd.com) and a BIOS C2 (core CC6) of 400 us (docs/CALIBRATION.md: 30-400 us)",
        ["milan_1s_halt"] = "milan_1s with C1 entered by HLT, with the measured Zen 3 wake-up percentiles into HLT (same series)",
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
