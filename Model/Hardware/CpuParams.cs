using TlbSim.Model.Parameters;
using TlbSim.Model.Units;

namespace TlbSim.Model.Hardware;

/// <summary>Per-CPU costs of entering the kernel and taking interrupts, and the idle states.</summary>
public sealed record CpuParams : IParameters
{
    /// <summary>Core clock.</summary>
    [Param("Core clock, used to turn published cycle counts into time")]
    public Frequency Frequency { get; init; } = Frequency.Parse("3.4GHz");

    /// <summary>Whether kernel page-table isolation is on.</summary>
    [Param("Kernel page-table isolation (PTI) is on: kernel mappings are not global and every user-kernel crossing writes CR3", Source = "Documentation/arch/x86/pti.rst; on by default on Meltdown-affected Intel cores")]
    public bool Pti { get; init; }

    /// <summary>Syscall round trip.</summary>
    [Param("Syscall entry plus exit with no work (an lseek round trip)", Source = "lore:20171031223146.6B47C861@viggo.jf.intel.com: 5.2M lseek/s without PTI (192 ns); 3.0M/s with PTI and PCID (333 ns)")]
    public Duration SyscallRoundTrip { get; init; } = Duration.FromNanoseconds(192);

    /// <summary>Interrupt entry.</summary>
    [Param("Interrupt entry: vectoring through the IDT, register save, irq_enter", Source = "half of <= 194 ns per interrupt (5.16M IRQ/s), lore:20231112041643.2868316-1-jacob.jun.pan@linux.intel.com; no published split between entry and exit; plausible 50ns to 194ns (a quarter to all of the measured per-interrupt bound)", Low = "50ns", High = "194ns")]
    public Duration InterruptEntry { get; init; } = Duration.FromNanoseconds(97);

    /// <summary>Interrupt exit.</summary>
    [Param("Interrupt exit: APIC EOI, irq_exit, IRET", Source = "the other half of the 194 ns per interrupt above")]
    public Duration InterruptExit { get; init; } = Duration.FromNanoseconds(97);

    /// <summary>Scale of every simulated wake-up.</summary>
    [Param("Multiplies every wake-up drawn from an idle state's wake shape: 1 takes the shapes as declared (measured where the preset says so, estimated elsewhere); the sensitivity command moves it to ask whether a conclusion survives the wake-up estimates", Unit = "factor",
        Source = "the wake shapes of states without a measurement are estimates (median 60% of exit_latency); plausible 0.5 to 1.5 (median 30% of the bound, to tails past the table's worst case)", Low = "0.5", High = "1.5")]
    public double WakeScale { get; init; } = 1;

    /// <summary>Idle states, shallowest first.</summary>
    [Param("Idle states, shallowest first; the menu governor picks the deepest whose target residency fits the predicted idle time (POLL when none does)")]
    public IReadOnlyList<IdleState> IdleStates { get; init; } =
    [
        new() { Name = "POLL", ExitLatency = Duration.Zero, TargetResidency = Duration.Zero, Polling = true },
        new() { Name = "C1", ExitLatency = Duration.FromMicroseconds(2), TargetResidency = Duration.FromMicroseconds(2) },
        new() { Name = "C1E", ExitLatency = Duration.FromMicroseconds(10), TargetResidency = Duration.FromMicroseconds(20) },
        new() { Name = "C6", ExitLatency = Duration.FromMicroseconds(133), TargetResidency = Duration.FromMicroseconds(400), FlushesTlb = true, Level = IdleLevel.Package },
    ];

    /// <inheritdoc />
    public IEnumerable<string> Validate(string path)
    {
        var errors = new List<string>();
        if (Frequency.Hertz < 1_000_000)
            errors.Add($"{Check.Join(path, "frequency")}: must be at least 1MHz (was {Frequency})");
        errors.AddRange(Check.NonNegative(path, "syscall_round_trip", SyscallRoundTrip));
        errors.AddRange(Check.Range(path, "wake_scale", WakeScale, 0, 100));
        errors.AddRange(Check.NonNegative(path, "interrupt_entry", InterruptEntry));
        errors.AddRange(Check.NonNegative(path, "interrupt_exit", InterruptExit));
        if (IdleStates.Count == 0)
            errors.Add($"{Check.Join(path, "idle_states")}: needs at least one idle state");
        for (int i = 0; i < IdleStates.Count; i++)
        {
            errors.AddRange(IdleStates[i].Validate($"{Check.Join(path, "idle_states")}[{i}]"));
            if (i > 0 && IdleStates[i].TargetResidency < IdleStates[i - 1].TargetResidency)
                errors.Add($"{Check.Join(path, "idle_states")}[{i}]: target residencies must not decrease from shallow to deep states");
        }
        return errors;
    }
}

/// <summary>How the x2APIC addresses IPI destinations.</summary>
public enum ApicMode
{
    /// <summary>x2APIC cluster mode (the kernel's default, x2apic_cluster.c): one ICR write per cluster of up to 16 logical CPUs.</summary>
    Cluster,

    /// <summary>x2APIC physical destination mode (x2apic_phys.c): one ICR write per target.</summary>
    Physical,
}

/// <summary>The local APIC's IPI costs and the interconnect's delivery and acknowledgment latencies.</summary>
public sealed record ApicParams : IParameters
{
    /// <summary>Destination mode.</summary>
    [Param("x2APIC destination mode: cluster (the kernel's default: one ICR write per cluster of up to 16 logical CPUs, __x2apic_send_IPI_mask in x2apic_cluster.c) or physical (one write per target, x2apic_phys.c)", Source = "arch/x86/kernel/apic/x2apic_cluster.c: the cluster is the x2APIC ID >> 4")]
    public ApicMode Mode { get; init; } = ApicMode.Cluster;

    /// <summary>Cost to the sender of one unicast IPI.</summary>
    [Param("Sender time per unicast IPI: one x2APIC ICR write (WRMSR 0x830) per target in physical mode", Source = "no published cycle count; ~100 cycles, the order of the 96-cycle CR3 write of lore:20150608195237.GA15429@gmail.com; plausible 15ns to 90ns (50 to 300 cycles at 3.4 GHz, a fast MSR write to a slow one)", Low = "15ns", High = "90ns")]
    public Duration IcrWrite { get; init; } = Duration.FromNanoseconds(29);

    /// <summary>Whether all-but-self shorthand is used.</summary>
    [Param("Send one all-but-self shorthand IPI when every other online CPU is a target (apic_use_ipi_shorthand)", Source = "arch/x86/kernel/apic/ipi.c native_send_call_func_ipi")]
    public bool UseShorthand { get; init; } = true;

    /// <summary>Cost to the sender of a shorthand broadcast.</summary>
    [Param("Sender time of one shorthand broadcast: a single ICR write", Source = "same as icr_write (one WRMSR)")]
    public Duration BroadcastWrite { get; init; } = Duration.FromNanoseconds(29);

    /// <summary>Delivery latency to an SMT sibling.</summary>
    [Param("IPI delivery: from the ICR write to the target starting interrupt entry, SMT sibling", Source = "taken equal to same_socket_delivery: no separate figure")]
    public Duration SmtDelivery { get; init; } = Duration.FromNanoseconds(359);

    /// <summary>Delivery latency within a socket.</summary>
    [Param("IPI delivery: from the ICR write to the target starting interrupt entry, same socket", Source = "derived from the Haswell MADV_DONTNEED loop (lore:20190531063645.4697-1-namit@vmware.com): 1436-661 = 775 ns for one remote target, less the initiator's csd_per_target 10 and 1.5 line transfers 60, ICR write 29, interrupt entry 97, the target's queue take and csd read 80, remote INVLPG 100 and csd_lock_wait's read 40 ns")]
    public Duration SameSocketDelivery { get; init; } = Duration.FromNanoseconds(359);

    /// <summary>Delivery latency across sockets.</summary>
    [Param("IPI delivery: from the ICR write to the target starting interrupt entry, across sockets", Source = "same_socket_delivery plus the cross- minus same-socket line transfer (120-40 ns); no direct measurement")]
    public Duration CrossSocketDelivery { get; init; } = Duration.FromNanoseconds(439);

    /// <summary>Acknowledgment transfer between SMT siblings.</summary>
    [Param("Time for a modified cache line (a csd, a call_single_queue head, the unlock) to move between SMT siblings (shared L1)", Source = "L1 hit latency order, ~4 cycles plus the store-to-load handoff")]
    public Duration SmtAck { get; init; } = Duration.FromNanoseconds(10);

    /// <summary>Acknowledgment transfer within a socket.</summary>
    [Param("Time for a modified cache line (a csd, a call_single_queue head, the unlock) to move between cores of one socket", Source = "40-42 ns core-to-core modified-line transfer, Broadwell-EP (Intel MLC, McCalpin); docs/CALIBRATION.md")]
    public Duration SameSocketAck { get; init; } = Duration.FromNanoseconds(40);

    /// <summary>Acknowledgment transfer across sockets.</summary>
    [Param("Time for a modified cache line (a csd, a call_single_queue head, the unlock) to move across sockets", Source = "~100-140 ns cross-socket line transfer on Skylake-SP class servers (public core-to-core latency matrices); 120 ns taken")]
    public Duration CrossSocketAck { get; init; } = Duration.FromNanoseconds(120);

    /// <summary>Delivery latency for a distance.</summary>
    public Duration Delivery(CpuDistance d) => d switch
    {
        CpuDistance.SmtSibling => SmtDelivery,
        CpuDistance.SameSocket => SameSocketDelivery,
        CpuDistance.CrossSocket => CrossSocketDelivery,
        _ => Duration.Zero,
    };

    /// <summary>Ack transfer latency for a distance.</summary>
    public Duration Ack(CpuDistance d) => d switch
    {
        CpuDistance.SmtSibling => SmtAck,
        CpuDistance.SameSocket => SameSocketAck,
        CpuDistance.CrossSocket => CrossSocketAck,
        _ => Duration.Zero,
    };

    /// <inheritdoc />
    public IEnumerable<string> Validate(string path) =>
        new[]
        {
            Check.NonNegative(path, "icr_write", IcrWrite), Check.NonNegative(path, "broadcast_write", BroadcastWrite),
            Check.NonNegative(path, "smt_delivery", SmtDelivery), Check.NonNegative(path, "same_socket_delivery", SameSocketDelivery),
            Check.NonNegative(path, "cross_socket_delivery", CrossSocketDelivery), Check.NonNegative(path, "smt_ack", SmtAck),
            Check.NonNegative(path, "same_socket_ack", SameSocketAck), Check.NonNegative(path, "cross_socket_ack", CrossSocketAck),
        }.SelectMany(x => x);
}
