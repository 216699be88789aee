using System.Globalization;
using TlbSim.Model.Hardware;
using TlbSim.Model.Kernel;
using TlbSim.Model.Linux;
using TlbSim.Model.Mechanisms;
using TlbSim.Model.Memory;
using TlbSim.Model.Units;
using TlbSim.Model.Workloads;
using TlbSim.Scenarios.Loading;

namespace TlbSim.Scenarios.Calibration;

/// <summary>One row of docs/CALIBRATION.md as tlbsim checks it.</summary>
/// <param name="Kind">"input" rows set defaults (the default must carry the published value); "check" rows are emergent results.</param>
/// <param name="Quantity">What is compared.</param>
/// <param name="Conditions">The published measurement's conditions.</param>
/// <param name="Published">The published value.</param>
/// <param name="Unit">Unit of both values.</param>
/// <param name="Tolerance">Allowed relative difference.</param>
/// <param name="Source">Where the published value comes from.</param>
/// <param name="Simulate">Produces tlbsim's value.</param>
public sealed record CalibrationRow(string Kind, string Quantity, string Conditions, double Published, string Unit, double Tolerance, string Source, Func<double> Simulate)
{
    /// <summary>True when <paramref name="simulated"/> is within the tolerance of the published value.</summary>
    public bool Within(double simulated) => Math.Abs(simulated - Published) <= Tolerance * Math.Abs(Published) + 1e-9;
}

/// <summary>The calibration table: every row of docs/CALIBRATION.md that tlbsim models, with how it reproduces it.</summary>
public static class CalibrationTable
{
    /// <summary>The rows, in docs/CALIBRATION.md's order.</summary>
    public static IReadOnlyList<CalibrationRow> Rows { get; } =
    [
        new("input", "tlb_single_page_flush_ceiling", "Linux >= 3.15", 33, "pages", 0, "arch/x86/mm/tlb.c", () => new KernelParams().SinglePageFlushCeiling),
        new("input", "single-page flush (INVLPG)", "generic x86", 100, "ns", 0.05, "arch/x86/mm/tlb.c comment", () => new TlbParams().Invlpg.TotalNanoseconds),
        new("input", "CR3-write full flush", "2015 microbenchmark", 96, "cycles", 0, "lore:20150608195237.GA15429@gmail.com", () => new TlbParams().Cr3WriteCycles),
        new("input", "Skylake L1 dTLB 4K entries", "Skylake", 64, "entries", 0, "Intel 248966-045 Table 2-15", () => MachinePresets.SkylakeSp2s.Tlb.Dtlb4kEntries),
        new("input", "Skylake STLB entries", "Skylake", 1536, "entries", 0, "Intel 248966-045 Table 2-15", () => MachinePresets.SkylakeSp2s.Tlb.StlbEntries),
        new("input", "Skylake STLB 1G entries", "Skylake", 16, "entries", 0, "Intel 248966-045 Table 2-15", () => MachinePresets.SkylakeSp2s.Tlb.Stlb1gEntries),
        new("input", "Haswell STLB hit", "Haswell", 12, "cycles", 0, "public measurements", () => MachinePresets.HaswellDesktop.Tlb.StlbHitCycles),
        new("input", "Haswell C6 exit latency", "hsw_cstates", 133, "us", 0, "drivers/idle/intel_idle.c", () => MachinePresets.HaswellDesktop.Cpu.IdleStates[^1].ExitLatency.TotalMicroseconds),
        new("input", "Ivy Bridge C6 exit latency", "ivb_cstates", 80, "us", 0, "drivers/idle/intel_idle.c", () => MachinePresets.IvyBridgeDesktop.Cpu.IdleStates[^1].ExitLatency.TotalMicroseconds),
        new("input", "Skylake-SP C6 exit latency", "skx_cstates", 133, "us", 0, "drivers/idle/intel_idle.c", () => MachinePresets.SkylakeSp2s.Cpu.IdleStates[^1].ExitLatency.TotalMicroseconds),
        new("input", "Ice Lake-SP C6 exit latency", "icx_cstates", 170, "us", 0, "drivers/idle/intel_idle.c", () => MachinePresets.IceLakeSp2s.Cpu.IdleStates[^1].ExitLatency.TotalMicroseconds),
        new("input", "lseek round trip without PTI", "Intel, 2017", 192, "ns", 0.01, "lore:20171031223146.6B47C861@viggo.jf.intel.com", () => MachinePresets.IceLakeSp2s.Cpu.SyscallRoundTrip.TotalNanoseconds),
        new("input", "lseek round trip with PTI and PCID", "Intel, 2017", 333, "ns", 0.01, "lore:20171031223146.6B47C861@viggo.jf.intel.com", () => MachinePresets.SkylakeSp2s.Cpu.SyscallRoundTrip.TotalNanoseconds),
        new("input", "same-socket ack line transfer", "Broadwell Xeon", 40, "ns", 0.05, "public measurements", () => new ApicParams().SameSocketAck.TotalNanoseconds),
        new("input", "MADV_DONTNEED(1 page) loop, 1 thread", "Haswell, bare metal, before 5.13", 661, "ns", 0.15, "lore:20190531063645.4697-1-namit@vmware.com", () => Runs.MadviseLoop(remote: false)),
        new("input", "MADV_DONTNEED(1 page) loop, 2 threads", "Haswell, bare metal, before 5.13", 1436, "ns", 0.15, "lore:20190531063645.4697-1-namit@vmware.com", () => Runs.MadviseLoop(remote: true)),
        new("input", "single-page mprotect(PROT_READ), 1 thread (sets kernel.mprotect_fixup)", "Haswell, Linux 5.19", MachinePresets.HaswellDesktop.Cpu.Frequency.Cycles(2499).TotalNanoseconds, "ns", 0.05, "lore:20220718120212.3180-1-namit@vmware.com", () => Runs.Mprotect(remote: false)),
        new("check", "single-page mprotect(PROT_READ), 2 threads (one remote target)", "Haswell, Linux 5.19", MachinePresets.HaswellDesktop.Cpu.Frequency.Cycles(4655).TotalNanoseconds, "ns", 0.15, "lore:20220718120212.3180-1-namit@vmware.com", () => Runs.Mprotect(remote: true)),
        new("check", "single-page mprotect remote increment (4655-2499 cycles)", "Haswell, Linux 5.19", MachinePresets.HaswellDesktop.Cpu.Frequency.Cycles(4655 - 2499).TotalNanoseconds, "ns", 0.15, "lore:20220718120212.3180-1-namit@vmware.com", Runs.MprotectIncrement),
        .. WakeRows("MWAIT C1", "milan_1s", [1500, 1800, 2300, 3200]),
        .. WakeRows("HLT", "milan_1s_halt", [2000, 2500, 2800, 3400]),
        new("input", "XPFO immediate: kernel_build kernel-time slowdown (sets kernel_build.page_transition_rate)", "4-core i5-3550, make -j4", KernelBuildCalibration.Published, "x", 0.05, "lore:cover.1547153058.git.khalid.aziz@oracle.com: the one fitted input, so not a check", Runs.XpfoSlowdown),
        new("check", "XPFO v7 16/16 deferred_per_task: kernel_build kernel-time slowdown", "4-core i5-3550, make -j4", 794.473 / 607.671, "x", 0.15, "lore:c97fd93699adc018d666c3842ee973cb0acced2c.1547153058.git.khalid.aziz@oracle.com: 607.7 s -> 794.5 s system time", () => Runs.XpfoSlowdown(XpfoFlushPolicy.DeferredPerTask)),
        new("check", "XPFO v9 12/13 deferred_global: kernel_build kernel-time slowdown", "4-core i5-3550, make -j4", 803.989 / 607.671, "x", 0.15, "lore:4495dda4bfc4a06b3312cc4063915b306ecfaecb.1554248002.git.khalid.aziz@oracle.com: 607.7 s -> 804.0 s system time", () => Runs.XpfoSlowdown(XpfoFlushPolicy.DeferredGlobal)),
        new("check", "XPFO v9 13/13 refill_batched: kernel_build kernel-time slowdown", "4-core i5-3550, make -j4, Linux 5.0", 773.075 / 610.642, "x", 0.15, "lore:be3868d4514e969f22d37d76a591683be9f6b3ee.1554248002.git.khalid.aziz@oracle.com: 610.6 s -> 773.1 s system time", () => Runs.XpfoSlowdown(XpfoFlushPolicy.RefillBatched)),
        new("check", "XPFO forces a 4K direct map", "XPFO v1", 1, "4K share", 0, "same series", Runs.XpfoDirectMap4kShare),
        new("check", "direct-map splits for 50 unmapped pages, no cache", "2022 RFC: several tens", 50, "splits", 0.8, "lore:20220127085608.306306-1-rppt@kernel.org", () => Runs.ExclusiveSplits(chunkCache: false)),
        new("check", "direct-map splits for 50 unmapped pages, with cache", "2022 RFC: single digits", 5, "splits", 0.8, "lore:20220127085608.306306-1-rppt@kernel.org", () => Runs.ExclusiveSplits(chunkCache: true)),
    ];

    /// <summary>
    /// The published IPI wake-up percentiles into one idle state: inputs, since they set the state's wake shape
    /// in the preset (<see cref="MachinePresets"/>); the rows show that the simulated path from send to handler
    /// reproduces them.
    /// </summary>
    private static IEnumerable<CalibrationRow> WakeRows(string state, string preset, double[] published)
    {
        string[] names = ["p50", "p90", "p99", "p99.9"];
        double[] quantiles = [0.5, 0.9, 0.99, 0.999];
        var samples = new Lazy<double[]>(() => Runs.IdleWake(MachinePresets.All[preset]));
        for (int i = 0; i < names.Length; i++)
        {
            int k = i;
            yield return new("input", $"IPI wake-up into {state}, {names[k]} (sets {preset} C1 wake)", "Zen 3 bare metal", published[k], "ns", 0.1,
                "lore:20220505104856.452311-1-wyes.karny@amd.com", () => Runs.Quantile(samples.Value, quantiles[k]));
        }
    }

    /// <summary>
    /// docs/calibration.md: every row tlbsim reproduces, as the code declares it (a test keeps the committed
    /// file equal to this, so it cannot drift from the code).
    /// </summary>
    public static string Markdown()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("# What `tlbsim calibrate` reproduces\n\n");
        sb.Append("Generated from `Scenarios/Calibration/Calibration.cs` (`CalibrationTable.Markdown`); a test keeps this file equal to it.\n");
        sb.Append("An *input* row sets a parameter (it says which); a *check* row is an emergent result that no parameter was set from.\n");
        sb.Append("`tlbsim calibrate` prints the simulated value of every row beside the published one. The published figures and\n");
        sb.Append("their conditions are collected in `docs/CALIBRATION.md`; sources are cited by lore Message-ID\n");
        sb.Append("(`https://lore.kernel.org/r/<Message-ID>`) or by kernel source file.\n\n");
        sb.Append("| kind | quantity | conditions | published | unit | tolerance | source |\n|---|---|---|---|---|---|---|\n");
        foreach (var r in Rows)
            sb.Append(CultureInfo.InvariantCulture, $"| {r.Kind} | {r.Quantity} | {r.Conditions} | {Format(r.Published)} | {r.Unit} | {r.Tolerance * 100:0.#}% | {r.Source} |\n");
        return sb.ToString();
    }

    /// <summary>Formats a number for the table and calibration.csv.</summary>
    public static string Format(double v) => Math.Round(v, 4).ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>The simulations behind the check rows.</summary>
    private static class Runs
    {
        private const int Iterations = 2000;

        private static (Simulation Sim, Machine Machine, LinuxKernel Kernel) Boot(MachineParams machine, KernelParams kernel, long seed = 1)
        {
            var sim = new Simulation(seed);
            var map = new DirectMap(machine.Memory, kernel.GbPages, kernel.Force4kDirectMap, kernel.Remerge);
            var m = new Machine(sim, machine, map, new AnalyticTlbModel());
            return (sim, m, new LinuxKernel(m, kernel));
        }

        /// <summary>Mean iteration of a loop on cpu0; a second thread of the same process spins on cpu1 when <paramref name="remote"/>.</summary>
        private static double Loop(bool remote, FlushPolicy policy, Func<LinuxKernel, Cpu, AddressSpace, IEnumerable<Event>> iteration)
        {
            // Bare metal, PTI off as assumed for the published loops (their series disable mitigations).
            var haswell = MachinePresets.HaswellDesktop;
            var machine = haswell with { Cpu = haswell.Cpu with { Pti = false, SyscallRoundTrip = Duration.FromNanoseconds(192) } };
            var (sim, m, kernel) = Boot(machine, new KernelParams { Policy = policy });
            var mm = new AddressSpace(1, "loop");
            foreach (int id in remote ? new[] { 0, 1 } : [0])
            {
                mm.AddCpu(id);
                m.Cpus[id].LoadedMm = mm;
            }
            Duration start = default, end = default;
            IEnumerable<Event> Program(Cpu c)
            {
                start = sim.Now;
                for (int i = 0; i < Iterations; i++)
                {
                    foreach (var e in iteration(kernel, c, mm))
                        yield return e;
                }
                end = sim.Now;
            }
            m.Start(m.Cpus[0], Program);
            if (remote)
                m.Start(m.Cpus[1], c => Forever(() => c.Work(Duration.FromMicroseconds(50))));
            sim.Run(Duration.FromMilliseconds(Iterations * 0.01));
            return (end - start).TotalNanoseconds / Iterations;
        }

        public static double MadviseLoop(bool remote) =>
            Loop(remote, FlushPolicy.Synchronous, (k, c, mm) => k.MadviseDontneed(c, k.VmaOf(mm), 1, freed: 1).Concat(k.AnonFault(c, k.VmaOf(mm))));

        public static double Mprotect(bool remote) => Loop(remote, FlushPolicy.Concurrent, (k, c, mm) => k.Mprotect(c, mm, 1));

        public static double MprotectIncrement() =>
            Loop(true, FlushPolicy.Concurrent, (k, c, mm) => k.Mprotect(c, mm, 1)) - Loop(false, FlushPolicy.Concurrent, (k, c, mm) => k.Mprotect(c, mm, 1));

        /// <summary>
        /// From the IPI send (smp_call_function_many_cond's entry) until the target idle in C1 starts the
        /// function, over 5000 wakes of one Milan-class CPU by another, sorted.
        /// </summary>
        public static double[] IdleWake(MachineParams preset)
        {
            var c1 = preset.Cpu.IdleStates.First(s => s.Name.StartsWith("C1", StringComparison.Ordinal));
            var machine = preset with { Cpu = preset.Cpu with { IdleStates = [c1] } };
            var (sim, m, kernel) = Boot(machine, new KernelParams());
            var samples = new List<double>();
            var target = m.Cpus[1];
            Duration sent = default;
            Duration Handler(Cpu cpu)
            {
                samples.Add((sim.Now - sent).TotalNanoseconds);
                return Duration.Zero;
            }
            IEnumerable<Event> Sender(Cpu c)
            {
                for (int i = 0; i < 5000; i++)
                {
                    foreach (var e in c.Idle(Duration.FromMicroseconds(20)))
                        yield return e;
                    sent = sim.Now;
                    foreach (var e in kernel.OnEachCpuMask(c, [target], Handler, runLocal: false))
                        yield return e;
                }
            }
            m.Start(m.Cpus[0], Sender);
            m.Start(target, c => Forever(() => c.Idle(Duration.FromMilliseconds(100))));
            sim.Run(Duration.FromMilliseconds(200));
            samples.Sort();
            return [.. samples];
        }

        /// <summary>The <paramref name="q"/> quantile of sorted <paramref name="sorted"/> (nearest rank).</summary>
        public static double Quantile(double[] sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

        public static double XpfoSlowdown() => XpfoSlowdown(XpfoFlushPolicy.Immediate);

        public static double XpfoSlowdown(XpfoFlushPolicy policy) => new long[] { 1, 2, 3 }.Average(s => KernelBuildCalibration.XpfoSlowdown(() => Designs.Builtin.Create("baseline"), s, policy: policy));

        public static double XpfoDirectMap4kShare()
        {
            var (_, m, _) = Boot(MachinePresets.IvyBridgeDesktop, new Xpfo().Adjust(new KernelParams()));
            return m.DirectMap.Coverage(PageSize.Size4K);
        }

        /// <summary>50 pages taken out of the direct map one by one, as module loading or secretmem would, on a 16 GiB machine.</summary>
        // The RFC's pages were allocated over a system's lifetime, interleaved with everything else: uniform
        // placement, not the buddy allocator's run of consecutive frames that one burst of faults gets.
        public static double ExclusiveSplits(bool chunkCache)
        {
            var (sim, m, kernel) = Boot(new MachineParams { Topology = new TopologyParams { CoresPerSocket = 4 }, Memory = ByteSize.FromGiB(16) }, new KernelParams());
            var context = new MechanismContext(kernel, new MechanismParams { ChunkCache = chunkCache, ExclusiveResidentPages = 1000, ExclusivePlacement = FramePlacement.Uniform }, sim.Random.Stream("calibration"));
            var mechanism = new MapExclusive();
            IEnumerable<Event> Program(Cpu c)
            {
                for (int i = 0; i < 50; i++)
                {
                    foreach (var e in mechanism.Operate(context, c))
                        yield return e;
                }
            }
            m.Start(m.Cpus[0], Program);
            sim.Run(Duration.FromMilliseconds(100));
            return m.DirectMap.Splits1G + m.DirectMap.Splits2M;
        }

        private static IEnumerable<Event> Forever(Func<IEnumerable<Event>> step)
        {
            while (true)
            {
                foreach (var e in step())
                    yield return e;
            }
        }
    }
}
